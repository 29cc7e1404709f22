using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Mnist.Inference.Onnx;
using Mnist.Search.Models;
using Mnist.Search.Tests.Support.Onnx;
using Mnist.Search.Tests.Support.Post;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Trials.Export;

/// <summary>
/// The ONNX export of trained CNNs of every shape the search produces, checked by three independent readers: ONNX
/// Runtime (logits equal TorchSharp's), Debian's python3-onnx (<c>onnx.checker</c>) and ML.NET (<c>ApplyOnnxModel</c>).
/// </summary>
[Trait(Needs.Name, Needs.DebianPython)]
public sealed class OnnxExportTests(TrainedCnns cnns) : IClassFixture<TrainedCnns>
{
    private const int TestImages = 200;

    public static TheoryData<string> Architectures => new(TrainedCnns.Architectures.Keys);

    [Theory]
    [MemberData(nameof(Architectures))]
    public void OnnxRuntimeGivesTorchSharpsLogitsAndTestAccuracyOnRealMnist(string architecture)
    {
        // Given a CNN trained for one epoch on real MNIST, its ONNX export, and 200 real test images
        var folder = cnns.Folder(architecture);
        var (images, labels) = MnistFiles.TestImages(TestImages);
        var expected = TrainedCnns.TorchSharpLogits(folder, images);

        // When ONNX Runtime scores the same plain [0,1] pixels (the normalisation is in the graph)
        using var predictor = OnnxPredictor.Open(Path.Combine(folder, OnnxSchema.FileName));
        var actual = predictor.Logits(images);

        // Then every logit agrees within 1e-4, and so do the predictions and the test accuracy
        var worst = expected.Zip(actual).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        Assert.True(worst < 1e-4, $"{architecture}: largest logit difference {worst}");
        var torchAccuracy = Accuracy(expected, labels);
        Assert.Equal(torchAccuracy, Accuracy(actual, labels));
        Assert.True(torchAccuracy > 0.6, $"{architecture}: trained model scores only {torchAccuracy} (chance is 0.1)");
    }

    [Fact]
    public void DebiansOnnxCheckerAcceptsEveryArchitectureWithOpset13AndTheContractInItsMetadata()
    {
        // Given the ONNX export of every architecture
        var paths = TrainedCnns.Architectures.Keys.Select(a => Path.Combine(cnns.Folder(a), OnnxSchema.FileName)).ToArray();

        // When Debian's python3-onnx loads and fully checks each (shape inference included)
        const string script = """
            import json, sys, onnx
            for path in sys.argv[1:]:
                model = onnx.load(path)
                onnx.checker.check_model(model, full_check=True)
                print(json.dumps({"ir": model.ir_version, "opset": model.opset_import[0].version,
                                  "meta": {p.key: p.value for p in model.metadata_props}}))
            """;
        var (exit, stdout, stderr) = DebianPython.Run(["-c", script, .. paths]);

        // Then every model passes and carries opset 13, IR 7 and its input contract
        Assert.True(exit == 0, stderr);
        var models = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(paths.Length, models.Count);
        Assert.All(models, m =>
        {
            Assert.Equal(OnnxSchema.IrVersion, m.GetProperty("ir").GetInt64());
            Assert.Equal(OnnxSchema.Opset, m.GetProperty("opset").GetInt64());
            var meta = m.GetProperty("meta");
            Assert.Equal("light_on_dark", meta.GetProperty(OnnxSchema.Keys.Polarity).GetString());
            Assert.Equal("0..1", meta.GetProperty(OnnxSchema.Keys.PixelRange).GetString());
            Assert.Equal(0.3081, JsonDocument.Parse(meta.GetProperty(OnnxSchema.Keys.Normalization).GetString()!).RootElement.GetProperty("std").GetDouble());
            Assert.Equal(10, JsonSerializer.Deserialize<string[]>(meta.GetProperty(OnnxSchema.Keys.ClassNames).GetString()!)!.Length);
            Assert.Equal("unit", meta.GetProperty("study").GetString());
        });
    }

    [Theory]
    [InlineData("2conv-k5-bn-fc2")]
    [InlineData("3conv-k7-fc2")]
    public void MlNetApplyOnnxModelScoresRealTestImagesToTheSameDigitsAsTorchSharp(string architecture)
    {
        // Given an exported model and 50 real test images
        var folder = cnns.Folder(architecture);
        var (images, _) = MnistFiles.TestImages(50);
        var expected = TrainedCnns.TorchSharpLogits(folder, images).Select(ArgMax).ToArray();

        // When ML.NET's ONNX transformer scores them
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(images.Select(i => new DigitInput { Pixels = i }));
        var pipeline = ml.Transforms.ApplyOnnxModel(
            outputColumnNames: [OnnxSchema.Logits], inputColumnNames: [OnnxSchema.Input], modelFile: Path.Combine(folder, OnnxSchema.FileName));
        var scored = pipeline.Fit(data).Transform(data);
        var actual = ml.Data.CreateEnumerable<DigitScores>(scored, reuseRowObject: false).Select(s => ArgMax(s.Logits)).ToArray();

        // Then it names the same digit for every image
        Assert.Equal(expected, actual);
    }

    private static double Accuracy(float[][] logits, int[] labels) =>
        logits.Zip(labels).Count(p => ArgMax(p.First) == p.Second) / (double)labels.Length;

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    public sealed class DigitInput
    {
        [ColumnName(OnnxSchema.Input)]
        [VectorType(1, 1, 28, 28)]
        public float[] Pixels { get; set; } = [];
    }

    public sealed class DigitScores
    {
        [ColumnName(OnnxSchema.Logits)]
        [VectorType(10)]
        public float[] Logits { get; set; } = [];
    }
}
