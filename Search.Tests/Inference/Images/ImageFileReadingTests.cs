using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using TorchSharp;

namespace Mnist.Search.Tests.Inference.Images;

/// <summary>
/// `predict` reads only regular image files of sane size (issue 11): a device such as /dev/zero gets its own
/// clear error line (exit 2) without reading gigabytes; a folder without images is one clear line too.
/// </summary>
public sealed class ImageFileReadingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WhenPredictIsGivenDevZeroOrAnEmptyFolderThenEachGetsOneClearErrorAndExit2()
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

        // When predict is run on /dev/zero, on a named pipe nobody writes to (opening it blocked: predict hung), and on a folder holding no image
        var zero = await SearchCli.RunAsync(_dir.Path, "predict", "--model", _dir.File("model"), "/dev/zero");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [_dir.File("pipe.png")])) await mkfifo.WaitForExitAsync();
        var pipe = await SearchCli.RunAsync(TimeSpan.FromSeconds(60), _dir.Path, "predict", "--model", _dir.File("model"), _dir.File("pipe.png"));
        var folder = await SearchCli.RunAsync(_dir.Path, "predict", "--model", _dir.File("model"), _dir.File("a-folder"));
        // (and on a path starting with @, which the command-line library used to read as a file of more arguments)
        var at = await SearchCli.RunAsync(_dir.Path, "predict", "--model", _dir.File("model"), "@no-such.png");

        // Then each exits 2 with one clear error line
        Assert.Equal(2, zero.ExitCode);
        Assert.Equal("error: /dev/zero: is empty, or not a regular file (a device, pipe or special file)", zero.Stderr.Trim());
        Assert.Equal(2, pipe.ExitCode);
        Assert.Equal($"error: {_dir.File("pipe.png")}: is empty, or not a regular file (a device, pipe or special file)", pipe.Stderr.Trim());
        Assert.Equal(2, at.ExitCode);
        Assert.Contains("@no-such.png: file not found", at.Stderr);
        Assert.Equal(2, folder.ExitCode);
        Assert.Contains($"error: {_dir.File("a-folder")}: folder holds no image", Assert.Single(folder.Stderr.Trim().Split('\n')));
    }
}
