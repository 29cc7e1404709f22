using Mnist.Search.Tests.Support.Post;
using Mnist.Trials.Export;
using static TorchSharp.torch;

namespace Mnist.Search.Tests.Trials.Export;

public sealed class StateDictExportTests : IDisposable
{
    private static readonly PyTorchStyleCnn.Architecture Arch = new([4, 6], 3, true, [16, 12], 0.25);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WhenAModelIsExportedThenKeysArePyTorchStyleAndDtypesAreF32ExceptBatchCounters()
    {
        // Given
        using var model = PyTorchStyleCnn.Build(Arch);

        // When
        var tensors = StateDictExport.ToSafetensors(model);

        // Then
        var names = tensors.Select(t => t.Name).ToList();
        Assert.Contains("features.0.weight", names);
        Assert.Contains("features.1.running_mean", names);
        Assert.Contains("features.5.running_var", names);
        Assert.Contains("classifier.1.weight", names);
        Assert.Contains("classifier.7.bias", names);
        Assert.All(tensors, t => Assert.Equal(t.Name.EndsWith("num_batches_tracked") ? "I64" : "F32", t.Dtype));
        Assert.Equal([4L, 1, 3, 3], tensors.Single(t => t.Name == "features.0.weight").Shape);
        Assert.Equal([16L, 6 * 7 * 7], tensors.Single(t => t.Name == "classifier.1.weight").Shape);
    }

    [Fact]
    public void WhenExportedThenTheValuesAreTheModelsOwn()
    {
        // Given
        using var model = PyTorchStyleCnn.Build(Arch);
        var expected = model.state_dict()["classifier.4.weight"].data<float>().ToArray();

        // When
        var exported = StateDictExport.ToSafetensors(model).Single(t => t.Name == "classifier.4.weight");

        // Then
        Assert.Equal(expected, exported.ToFloats());
    }

    [Fact]
    public void WhenSavedAndLoadedIntoAFreshModelThenBothGiveTheSameOutputs()
    {
        // Given: a trained-looking model (BatchNorm statistics moved away from their initial values)
        random.manual_seed(1);
        using var trained = PyTorchStyleCnn.Build(Arch);
        using (var batch = rand(8, 1, 28, 28))
        {
            trained.train();
            trained.call(batch).Dispose();
        }

        trained.eval();
        var path = _dir.File("model.safetensors");
        StateDictExport.Save(trained, path, new Dictionary<string, string> { ["format"] = "pt" });
        random.manual_seed(2);
        using var fresh = PyTorchStyleCnn.Build(Arch);
        fresh.eval();

        // When
        StateDictExport.LoadInto(fresh, SafetensorsReader.Read(path));

        // Then
        using var input = rand(3, 1, 28, 28);
        using var a = trained.call(input);
        using var b = fresh.call(input);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
        Assert.Equal(1L, fresh.state_dict()["features.1.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void WhenTheFileMissesAKeyThenLoadingNamesIt()
    {
        // Given
        using var model = PyTorchStyleCnn.Build(Arch);
        var tensors = StateDictExport.ToSafetensors(model).Where(t => t.Name != "features.4.bias").ToList();
        var file = SafetensorsReader.Parse(SafetensorsWriter.Serialize(tensors));

        // When
        var error = Assert.Throws<SafetensorsFormatException>(() => StateDictExport.LoadInto(model, file));

        // Then
        Assert.Contains("features.4.bias", error.Message);
    }

    [Fact]
    public void WhenAShapeDiffersThenLoadingNamesTheKeyAndBothShapes()
    {
        // Given: the file was written for 5 first-layer channels, the model has 4
        using var other = PyTorchStyleCnn.Build(Arch with { ConvChannels = [5, 6] });
        using var model = PyTorchStyleCnn.Build(Arch);
        var file = SafetensorsReader.Parse(SafetensorsWriter.Serialize(StateDictExport.ToSafetensors(other)));

        // When
        var error = Assert.Throws<SafetensorsFormatException>(() => StateDictExport.LoadInto(model, file));

        // Then
        Assert.Contains("features.0.weight", error.Message);
        Assert.Contains("[5, 1, 3, 3]", error.Message);
    }
}
