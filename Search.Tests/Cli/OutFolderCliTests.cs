using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `--out` of report and export, through the real command line: a symbolic link is written through, and the current
/// folder is refused, since the folder is replaced as a whole.
/// </summary>
public sealed class OutFolderCliTests
{
    [Fact]
    public async Task AReportThroughASymbolicLinkUpdatesTheFolderItPointsTo()
    {
        // Given a study, its report published in web/report, and a link to it
        using var dir = new TempDirectory("out-link");
        await RunStudyAsync(dir);
        var first = await SearchCli.RunAsync(dir.Path, "study", "report", "cli-study", "--out", dir["web/report"]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        File.CreateSymbolicLink(dir["link"], dir["web/report"]);
        var before = File.GetLastWriteTimeUtc(dir["web/report/index.html"]);
        await Task.Delay(50);

        // When the report is written again through the link
        var again = await SearchCli.RunAsync(dir.Path, "study", "report", "cli-study", "--out", dir["link"]);

        // Then the link is still a link, and the report it points to is the new one (the link used to be replaced by a
        // folder, the published report left stale)
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.NotNull(new FileInfo(dir["link"]).LinkTarget);
        Assert.True(File.GetLastWriteTimeUtc(dir["web/report/index.html"]) > before, "web/report was not written");
    }

    [Theory]
    [InlineData("report", ".")]
    [InlineData("export", ".")]
    [InlineData("report", "..")]
    public async Task TheCurrentFolderOrOneHoldingItIsRefusedAndLeftInPlace(string command, string outFolder)
    {
        // Given a study, and a shell in an empty folder below it
        using var dir = new TempDirectory("out-cwd");
        await RunStudyAsync(dir);
        Directory.CreateDirectory(dir["here/sub"]);
        var cwd = outFolder == "." ? dir["here"] : dir["here/sub"];

        // When the folder it is in (or its parent) is given as --out
        var result = await SearchCli.RunAsync(cwd, "study", command, "cli-study", "--studies-dir", dir["studies"], "--out", outFolder);

        // Then exit 2 with one line, and the folder is where it was (it was moved aside and deleted, the shell left in
        // a deleted folder)
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.Contains("is the current folder or holds it", Assert.Single(result.Stderr.Trim().Split('\n')));
        Assert.True(Directory.Exists(cwd));
        Assert.Empty(Directory.GetFiles(dir["here"], "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("report", "studies/cli-study/best/report")]
    [InlineData("export", "studies/cli-study/best/onnx")]
    [InlineData("report", "studies/cli-study/trials/0/report")]
    public async Task AFolderInsideOneAStudyReplacesWholeIsRefused(string command, string outFolder)
    {
        // Given a retrained study (best/ and trials/ are replaced whole by a retrain and by trials run again)
        using var dir = new TempDirectory("out-inside");
        await RunStudyAsync(dir, retrain: true);
        var before = Directory.GetFileSystemEntries(dir["studies"], "*", SearchOption.AllDirectories).Order().ToArray();

        // When a report or export is asked for inside one
        var result = await SearchCli.RunAsync(dir.Path, "study", command, "cli-study", "--out", outFolder);

        // Then exit 2 with one line naming it, and nothing written (it was accepted, then deleted by the next retrain)
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.Contains("which a study replaces as a whole", Assert.Single(result.Stderr.Trim().Split('\n')));
        Assert.Equal(before, Directory.GetFileSystemEntries(dir["studies"], "*", SearchOption.AllDirectories).Order().ToArray());
    }

    private static async Task RunStudyAsync(TempDirectory dir, bool retrain = false)
    {
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c => c["retrain"]!["enabled"] = retrain);
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
    }
}
