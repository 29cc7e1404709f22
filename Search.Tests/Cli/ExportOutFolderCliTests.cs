using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>study export --out</c> somewhere no folder can be made says so of the folder the user gave: the message named
/// the hidden staging folder built beside it ("Could not find file '/proc/.nope.tmp-32111-25db…'"), which the user
/// never gave, and not why its parent takes no folder.
/// </summary>
public sealed class ExportOutFolderCliTests
{
    [Fact]
    public async Task AnOutFolderThatCannotBeMadeIsNamedWithTheReasonAndNotTheStagingFolder()
    {
        // Given a study with a retrained model
        using var dir = new TempDirectory("cli-export-out");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(run.ExitCode == 0, run.Stderr);

        // When it is exported into /proc, where only the kernel makes folders, and below a file
        File.WriteAllText(dir["a-file"], "x");
        var proc = await SearchCli.RunAsync(dir.Path, "study", "export", "cli-study", "--out", "/proc/nope");
        var file = await SearchCli.RunAsync(dir.Path, "study", "export", "cli-study", "--out", dir["a-file/out"]);

        // Then each is one line naming the --out folder and the reason, not the staging folder, with exit code 2
        Assert.Equal(2, proc.ExitCode);
        Assert.Equal("error: --out /proc/nope: cannot create it (no folder can be made in /proc)", Assert.Single(proc.Stderr.Trim().Split('\n')));
        Assert.Equal(2, file.ExitCode);
        Assert.Equal($"error: --out {dir["a-file/out"]}: cannot create it ({dir["a-file"]} is a file, not a folder)", Assert.Single(file.Stderr.Trim().Split('\n')));
        Assert.DoesNotContain(".tmp-", proc.Stderr + file.Stderr);
    }
}
