using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Inference;

/// <summary>
/// `predict` reads only regular image files of sane size (issue 11): a directory or a device such as /dev/zero
/// gets its own clear error line (exit 2), without reading gigabytes, and the other images are still answered.
/// </summary>
public sealed class ImageFileReadingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WhenPredictIsGivenADirectoryAndDevZeroThenEachGetsAClearErrorAndExit2()
    {
        // Given a small saved model and a folder
        var hp = new Hyperparameters { ConvLayers = 1, Conv1Channels = 4, FcLayers = 1, FcWidth = 8 };
        torch.manual_seed(3);
        using (var model = new CnnModel(hp))
        {
            model.eval();
            CheckpointIO.Save(_dir.File("model"), model, new ModelSidecar
            {
                Architecture = hp, InputShape = [1, 28, 28],
                Normalization = new NormalizationInfo(DatasetInfo.Mnist.Mean, DatasetInfo.Mnist.Std),
                ClassNames = DatasetInfo.Mnist.ClassNames, Dataset = "mnist", Seed = 3, EpochsRun = 1,
            });
        }
        Directory.CreateDirectory(_dir.File("a-folder"));

        // When predict is run on the folder and on /dev/zero
        var r = await SearchCli.RunAsync(_dir.Path, "predict", "--model", _dir.File("model"), _dir.File("a-folder"), "/dev/zero");

        // Then it exits 2 with one error line for each
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"error: {_dir.File("a-folder")}: is a directory, not an image file", r.Stderr);
        Assert.Contains("error: /dev/zero: is not a regular file", r.Stderr);
        Assert.DoesNotContain("OutOfMemory", r.Stderr);
    }
}
