using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Model;

public sealed class CheckpointIOTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static ModelSidecar SidecarFor(Hyperparameters hp) => new()
    {
        Architecture = hp,
        InputShape = [1, 28, 28],
        Normalization = new NormalizationInfo(DatasetInfo.Mnist.Mean, DatasetInfo.Mnist.Std),
        ClassNames = DatasetInfo.Mnist.ClassNames,
        Dataset = "mnist",
        Seed = 5,
        EpochsRun = 1,
    };

    [Fact]
    public void WhenACheckpointIsSavedThenLoadRebuildsTheSameNetworkFromTheTwoFilesAlone()
    {
        // Given a trained-looking model (BatchNorm running stats moved away from their defaults)
        var hp = new Hyperparameters { ConvLayers = 3, Conv1Channels = 4, Conv2Channels = 6, Conv3Channels = 8, FcLayers = 2, FcWidth = 16, Fc2Width = 8, BatchNorm = true };
        torch.manual_seed(11);
        using var model = new CnnModel(hp);
        model.train();
        using (var warm = torch.randn(16, 1, 28, 28)) model.forward(warm).Dispose();
        model.eval();
        using var input = torch.randn(4, 1, 28, 28);
        using var expected = model.forward(input);

        // When
        string weights = CheckpointIO.Save(dir.Path, model, SidecarFor(hp));
        var (loaded, sidecar) = CheckpointIO.Load(dir.Path);
        using var _ = loaded;
        using var actual = loaded.forward(input);

        // Then
        Assert.Equal(Path.Combine(dir.Path, "model.bin"), weights);
        Assert.Equal(hp, sidecar.Architecture);
        Assert.Equal(0.1307, sidecar.Normalization.Mean);
        Assert.Equal(new[] { 1, 28, 28 }, sidecar.InputShape);
        Assert.False(loaded.training);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void WhenTheSidecarIsMissingThenLoadNamesIt()
    {
        // Given
        using var model = new CnnModel(new Hyperparameters());
        CheckpointIO.Save(dir.Path, model, SidecarFor(new Hyperparameters()));
        File.Delete(dir.File("model.json"));

        // When
        var ex = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        // Then
        Assert.Equal($"{dir.File("model.json")}: checkpoint sidecar not found", ex.Message);
    }

    [Fact]
    public void WhenTheSidecarLacksRequiredKeysThenTheyAreNamedByJsonPath()
    {
        // Given a sidecar with only its format version
        File.WriteAllText(dir.File("model.json"), """{"format_version": 1, "dataset": "mnist"}""");

        // When it is read
        var ex = Assert.Throws<CheckpointException>(() => CheckpointIO.ReadSidecar(dir.Path));

        // Then the missing keys are named as JSON paths (the message named a .NET type: "JSON deserialization for
        // type 'Mnist.Trials.Model.ModelSidecar' was missing required properties")
        Assert.Equal($"{dir.File("model.json")}: not a valid checkpoint sidecar: missing $.architecture, $.input_shape, $.normalization, $.class_names", ex.Message);
    }

    [Fact]
    public void WhenTheSidecarArchitectureDoesNotMatchTheWeightsThenLoadFailsNamingTheWeights()
    {
        // Given weights of a 32-channel model under a sidecar that says 16
        using var model = new CnnModel(new Hyperparameters());
        CheckpointIO.Save(dir.Path, model, SidecarFor(new Hyperparameters { Conv1Channels = 16 }));

        // When
        var ex = Assert.ThrowsAny<Exception>(() => CheckpointIO.Load(dir.Path));

        // Then
        Assert.IsType<CheckpointException>(ex);
        Assert.StartsWith(dir.File("model.bin") + ": weights do not match", ex.Message);
    }
}
