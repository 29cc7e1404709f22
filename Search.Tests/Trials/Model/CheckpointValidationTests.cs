using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;

namespace Mnist.Search.Tests.Trials.Model;

/// <summary>A damaged or hostile checkpoint is refused with one line naming the file and what is wrong (issue 11, item 9).</summary>
public sealed class CheckpointValidationTests : IDisposable
{
    private readonly TempDir dir = new();

    public CheckpointValidationTests()
    {
        using var model = new CnnModel(new Hyperparameters { Conv1Channels = 4, Conv2Channels = 8, FcWidth = 16 });
        CheckpointIO.Save(dir.Path, model, new ModelSidecar
        {
            Architecture = model.Hyperparameters,
            InputShape = [1, 28, 28],
            Normalization = new NormalizationInfo(DatasetInfo.Mnist.Mean, DatasetInfo.Mnist.Std),
            ClassNames = DatasetInfo.Mnist.ClassNames,
            Dataset = "mnist",
        });
    }

    public void Dispose() => dir.Dispose();

    private void EditSidecar(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(dir.File("model.json")))!.AsObject();
        edit(json);
        FileFaults.Replace(dir.File("model.json"), json.ToJsonString());
    }

    [Theory]
    [InlineData("conv1_channels", 100000000, "$.architecture.conv1_channels: 100000000 is not valid (expected an integer in 1..1024)")]
    [InlineData("conv_layers", 50, "$.architecture.conv_layers: 50 is not valid (expected an integer in 1..4)")]
    [InlineData("fc_width", -3, "$.architecture.fc_width: -3 is not valid")]
    public void AnArchitectureOutsideTheSpecRangesIsRefusedBeforeAnythingIsBuilt(string key, long value, string message)
    {
        EditSidecar(s => s["architecture"]![key] = value);

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.StartsWith(dir.File("model.json") + ": " + message, e.Message);
    }

    [Theory]
    [InlineData("std", 0.0, "$.normalization.std: 0 is not valid")]
    [InlineData("mean", 1e300, "$.normalization.mean")]
    public void ANormalizationThatWouldDivideByZeroOrOverflowIsRefused(string key, double value, string message)
    {
        EditSidecar(s => s["normalization"]![key] = value);

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ANullNormalizationIsRefusedWithItsPath()
    {
        EditSidecar(s => s["normalization"] = null);

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.StartsWith(dir.File("model.json") + ": $.normalization: null is not valid", e.Message);
    }

    [Fact]
    public void ACheckpointWhoseFilesAreLinksLoadsAsTheFilesTheyPointTo()
    {
        // Given a folder whose model.bin and model.json are links (absolute and relative) to the saved checkpoint's:
        // a link's own size, the length of its target's name, was taken for model.bin's ("39 bytes ... truncated")
        using var linked = new TempDir();
        File.CreateSymbolicLink(linked.File("model.bin"), dir.File("model.bin"));
        File.CreateSymbolicLink(linked.File("model.json"), Path.GetRelativePath(linked.Path, dir.File("model.json")));

        // When it is loaded
        var (model, sidecar) = CheckpointIO.Load(linked.Path);

        // Then it is the saved model
        using (model)
        using (var saved = CheckpointIO.Load(dir.Path).Model)
        {
            Assert.Equal(4, sidecar.Architecture.Conv1Channels);
            foreach (var (name, tensor) in saved.state_dict())
                Assert.True(tensor.equal(model.state_dict()[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void ASidecarThatIsADeviceIsRefusedWithoutReadingIt()
    {
        // /dev/zero named model.json was read until memory ran out
        File.Delete(dir.File("model.json"));
        File.CreateSymbolicLink(dir.File("model.json"), "/dev/zero");

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.Equal(dir.File("model.json") + ": is empty, or not a regular file (a device, pipe or special file)", e.Message);
    }

    [Fact]
    public void WeightsHoldingNaNAreRefusedNamingTheTensor()
    {
        // Given a checkpoint of the right size whose first tensor is NaN (it passed `check`; predict then crashed)
        using (var model = CheckpointIO.Load(dir.Path).Model)
        {
            using TorchSharp.Scalar nan = double.NaN; // held, not a temporary (see HeldScalars)
            using (TorchSharp.torch.no_grad()) model.parameters().First().fill_(nan);
            CheckpointIO.Save(dir.Path, model, CheckpointIO.ReadSidecar(dir.Path));
        }

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.Contains("holds NaN or infinite values", e.Message);
        Assert.StartsWith(dir.File("model.bin"), e.Message);
    }

    [Fact]
    public void AnEmptyObjectSidecarIsRefused()
    {
        FileFaults.Replace(dir.File("model.json"), "{}");

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.StartsWith(dir.File("model.json") + ": not a valid checkpoint sidecar", e.Message);
    }

    [Fact]
    public void ATruncatedWeightsFileIsRefusedByItsSize()
    {
        FileFaults.Truncate(dir.File("model.bin"), new FileInfo(dir.File("model.bin")).Length / 2);

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.StartsWith(dir.File("model.bin") + ":", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ARandomWeightsFileOfTheRightSizeIsRefused(int seed)
    {
        FileFaults.Randomize(dir.File("model.bin"), (int)new FileInfo(dir.File("model.bin")).Length, seed);

        var e = Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));

        Assert.StartsWith(dir.File("model.bin") + ": weights do not match", e.Message);
    }

    [Fact]
    public void FlippedBytesInsideTheWeightsHeaderAreRefused()
    {
        FileFaults.FlipBytes(dir.File("model.bin"), 0, 16);

        Assert.Throws<CheckpointException>(() => CheckpointIO.Load(dir.Path));
    }
}
