using System.Text.Json;
using Mnist.Search.Tests.Support.Post;
using Mnist.Trials.Export;
using static TorchSharp.torch;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Trials.Export;

/// <summary>Files written here are read by Debian's PyTorch through the shipped loader script.</summary>
[Trait(Needs.Name, Needs.DebianPython)]
public sealed class PyTorchInteropTests : IDisposable
{
    private const double Mean = 0.1307;
    private const double Std = 0.3081;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WhenPyTorchReadsOurFileThenShapesDtypesValuesAndMetadataMatch()
    {
        // Given
        var path = _dir.File("tensors.safetensors");
        var weights = Enumerable.Range(0, 24).Select(i => (float)Math.Sin(i) * 1e3f).ToArray();
        SafetensorsWriter.Write(
            path,
            [
                SafetensorsTensor.FromFloats("features.0.weight", [2, 1, 3, 4], weights),
                SafetensorsTensor.FromInt64s("features.1.num_batches_tracked", [], [938]),
                SafetensorsTensor.FromFloats("classifier.1.bias", [3], [float.Epsilon, -1f, 0.1f]),
            ],
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });

        // When
        var (exit, stdout, stderr) = DebianPython.Run(DebianPython.LoaderScript, "dump", path);

        // Then
        Assert.True(exit == 0, stderr);
        using var dump = JsonDocument.Parse(stdout);
        var tensors = dump.RootElement.GetProperty("tensors");
        var weight = tensors.GetProperty("features.0.weight");
        Assert.Equal("F32", weight.GetProperty("dtype").GetString());
        Assert.Equal([2L, 1, 3, 4], weight.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(weights, weight.GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()));
        var counter = tensors.GetProperty("features.1.num_batches_tracked");
        Assert.Equal("I64", counter.GetProperty("dtype").GetString());
        Assert.Empty(counter.GetProperty("shape").EnumerateArray());
        Assert.Equal(938, counter.GetProperty("values")[0].GetInt64());
        Assert.Equal(
            [float.Epsilon, -1f, 0.1f],
            tensors.GetProperty("classifier.1.bias").GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()));
        Assert.Equal("ünïcode", dump.RootElement.GetProperty("metadata").GetProperty("note").GetString());
    }

    [Theory]
    [InlineData(true, 2, 0.5, false)]
    [InlineData(true, 1, 0.0, true)]
    public void WhenPyTorchRebuildsTheNetworkFromTheSidecarThenItsLogitsMatchTorchSharps(
        bool batchNorm, int fcLayers, double dropout, bool namedTrimmedVariant)
    {
        // Given: a model with moved BatchNorm statistics, its safetensors file and sidecar, and 4 images
        var arch = new PyTorchStyleCnn.Architecture(
            [3, 5], 5, batchNorm, fcLayers == 2 ? [12, 8] : [12], dropout,
            NamedChildren: namedTrimmedVariant, TrimmedLayers: namedTrimmedVariant);
        random.manual_seed(7);
        using var model = PyTorchStyleCnn.Build(arch);
        using (var warmup = rand(16, 1, 28, 28))
        {
            model.train();
            model.call(warmup).Dispose();
        }

        model.eval();
        var modelPath = _dir.File("model.safetensors");
        var sidecarPath = _dir.File("model.json");
        var inputsPath = _dir.File("inputs.f32");
        StateDictExport.Save(model, modelPath);
        File.WriteAllText(sidecarPath, PyTorchStyleCnn.SidecarJson(
            arch, Mean, Std, namedTrimmedVariant ? "normalization" : "normalisation"));
        using var images = rand(4, 1, 28, 28);
        File.WriteAllBytes(inputsPath, SafetensorsTensor.FromFloats("x", [4, 784], images.data<float>().ToArray()).Data.ToArray());
        using TorchSharp.Scalar mean = Mean, std = Std; // held, not temporaries (see HeldScalars)
        using var normalised = (images - mean) / std;
        using var expected = model.call(normalised);

        // When
        var (exit, stdout, stderr) = DebianPython.Run(
            DebianPython.LoaderScript, "logits", modelPath, "--sidecar", sidecarPath, "--inputs", inputsPath);

        // Then
        Assert.True(exit == 0, stderr);
        using var result = JsonDocument.Parse(stdout);
        var actual = result.RootElement.GetProperty("logits").EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray();
        var wanted = expected.data<float>().ToArray();
        Assert.Equal(40, actual.Length);
        for (var i = 0; i < wanted.Length; i++)
        {
            Assert.True(Math.Abs(wanted[i] - actual[i]) < 1e-4, $"logit {i}: TorchSharp {wanted[i]}, PyTorch {actual[i]}");
        }
    }

    [Fact]
    public void WhenTheSidecarDoesNotFitTheWeightsThenTheLoaderExitsWithTwoAndSaysWhy()
    {
        // Given: weights of a 2-conv network, sidecar describing 1 conv layer
        var arch = new PyTorchStyleCnn.Architecture([3, 5], 3, false, [8], 0.0);
        using var model = PyTorchStyleCnn.Build(arch);
        var modelPath = _dir.File("model.safetensors");
        var sidecarPath = _dir.File("model.json");
        var inputsPath = _dir.File("inputs.json");
        StateDictExport.Save(model, modelPath);
        File.WriteAllText(sidecarPath, PyTorchStyleCnn.SidecarJson(arch with { ConvChannels = [3] }, Mean, Std));
        File.WriteAllText(inputsPath, JsonSerializer.Serialize(new[] { new float[784] }));

        // When
        var (exit, _, stderr) = DebianPython.Run(
            DebianPython.LoaderScript, "logits", modelPath, "--sidecar", sidecarPath, "--inputs", inputsPath);

        // Then
        Assert.Equal(2, exit);
        Assert.Contains("weights do not fit the sidecar's architecture", stderr);
        Assert.Contains(modelPath, stderr);
    }
}
