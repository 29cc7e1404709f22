using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Workers;

namespace Mnist.Search.Tests.Cli;

/// <summary>`predict` with a checkpoint runs the Trials program; a Trials that dies is a failure, not an answer.</summary>
public sealed class PredictTrialsFailureCliTests
{
    [Fact]
    public async Task ATrialsProcessThatDiesAfterPrintingFailsThePredictWithItsReason()
    {
        // Given a checkpoint folder, an image, and in place of Trials a program that prints an empty answer and is then
        // killed (as the OOM killer or a libtorch abort would end it)
        using var dir = new TempDirectory("predict-dies");
        Directory.CreateDirectory(dir["model"]);
        File.WriteAllText(dir["model/model.bin"], "x");
        File.WriteAllText(dir["model/model.json"], "{}");
        File.WriteAllBytes(dir["digit.png"], [0x89, 0x50, 0x4E, 0x47]);
        Scripts.WriteExecutable(dir["trials.sh"], "echo '[]'\necho 'out of memory' >&2\nkill -9 $$");

        // When predict runs
        var r = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["MNIST_SEARCH_WORKER"] = dir["trials.sh"] },
            "predict", "--model", "model", "digit.png", "--format", "json");

        // Then it fails (exit 1) naming the exit code and Trials' reason on one line; it printed "[]" and exited 0
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stdout} {r.Stderr}");
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("Trials exited with code 137", line);
        Assert.Contains("out of memory", line);
        Assert.Equal("", r.Stdout.Trim());
    }

    [Fact]
    public async Task TheListOfImagesHandedToTrialsIsReadableByItsOwnerAlone()
    {
        // Given a checkpoint folder, an image, and in place of Trials a program that says the mode of the list of images
        // it is given (in the shared temporary folder, where it was 0644: it names the user's files)
        using var dir = new TempDirectory("predict-list-mode");
        Directory.CreateDirectory(dir["model"]);
        File.WriteAllText(dir["model/model.bin"], "x");
        File.WriteAllText(dir["model/model.json"], "{}");
        File.WriteAllBytes(dir["digit.png"], [0x89, 0x50, 0x4E, 0x47]);
        Scripts.WriteExecutable(dir["trials.sh"], """
            while [ "$#" -gt 0 ]; do [ "$1" = --images-from ] && f="$2"; shift; done
            echo "list mode $(stat -c %a "$f")" >&2
            exit 1
            """);

        // When predict runs
        var r = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["MNIST_SEARCH_WORKER"] = dir["trials.sh"] },
            "predict", "--model", "model", "digit.png", "--format", "json");

        // Then the list was the user's alone
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stdout} {r.Stderr}");
        Assert.Contains("list mode 600", r.Stderr);
    }
}
