using System.Security.Cryptography;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Reporting;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// `study report --out DIR` never deletes what DIR holds (issue 11): a folder with anything but an earlier
/// report's files is refused with exit 2 and left as it was; a stored study name cannot lead outside studies/.
/// </summary>
public sealed class ReportOutFolderTests
{
    [Fact]
    public async Task WhenOutHoldsForeignFilesThenTheReportIsRefusedAndNothingIsDeleted()
    {
        // Given a study and a folder with the user's notes and a subfolder
        using var dir = new TempDirectory("report-out-foreign");
        await using (var study = await ReportStudy.CreateAsync(dir["studies/kept/study.db"], "kept"))
            await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9, 0.95]);
        Directory.CreateDirectory(dir["v/sub"]);
        await File.WriteAllTextAsync(dir["v/notes.txt"], "x");
        await File.WriteAllTextAsync(dir["v/sub/more.txt"], "y");

        // When the report is asked to go there
        var result = await SearchCli.RunAsync(dir.Path, "study", "report", "kept", "--out", "v");

        // Then it exits 2 with one line naming the folder and the foreign entry, and everything is still there
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains(dir["v"], line);
        Assert.Equal("x", await File.ReadAllTextAsync(dir["v/notes.txt"]));
        Assert.Equal("y", await File.ReadAllTextAsync(dir["v/sub/more.txt"]));
        Assert.Equal(new[] { "notes.txt", "sub" }, Directory.GetFileSystemEntries(dir["v"]).Select(Path.GetFileName).Order().ToArray());
        Assert.DoesNotContain(Directory.GetFileSystemEntries(dir.Path), e => Path.GetFileName(e).StartsWith(".v.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenOutIsTheStudyFolderThenItsDatabaseAndTrialsSurvive()
    {
        // Given a study folder with its database and a trial's files
        using var dir = new TempDirectory("report-out-study");
        await using (var study = await ReportStudy.CreateAsync(dir["studies/mine/study.db"], "mine"))
            await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9, 0.95]);
        Directory.CreateDirectory(dir["studies/mine/trials/0"]);
        await File.WriteAllTextAsync(dir["studies/mine/trials/0/model.bin"], "weights");
        var before = SHA256.HashData(await File.ReadAllBytesAsync(dir["studies/mine/study.db"]));

        // When the report is asked to replace the study folder itself
        var result = await SearchCli.RunAsync(dir.Path, "study", "report", "mine", "--out", "studies/mine");

        // Then it is refused and the database and checkpoint are untouched
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("study.db", result.Stderr);
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(dir["studies/mine/study.db"])));
        Assert.Equal("weights", await File.ReadAllTextAsync(dir["studies/mine/trials/0/model.bin"]));
    }

    [Fact]
    public async Task WhenOutIsNewOrAnEarlierReportThenTheReportIsWritten()
    {
        // Given a study
        using var dir = new TempDirectory("report-out-ok");
        await using (var study = await ReportStudy.CreateAsync(dir["s.db"], "ok"))
            await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9, 0.95]);

        // When it is written to a new folder, then again over that earlier report
        var first = await SearchCli.RunAsync(dir.Path, "study", "report", "ok", "--storage", "sqlite:s.db", "--out", "r");
        var second = await SearchCli.RunAsync(dir.Path, "study", "report", "ok", "--storage", "sqlite:s.db", "--out", "r");

        // Then both succeed
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.True(File.Exists(dir["r/index.html"]));
    }

    [Fact]
    public async Task WhenAStoredStudyNameClimbsOutOfStudiesThenNothingIsWrittenOutside()
    {
        // Given a database whose study is called ../../escaped (as another tool could store it)
        using var dir = new TempDirectory("report-out-escape");
        Directory.CreateDirectory(dir["work"]);
        await using (var study = await ReportStudy.CreateAsync(dir["work/evil.db"], "../../escaped"))
            await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9, 0.95]);

        // When its report is asked for at the default place
        var result = await SearchCli.RunAsync(dir["work"], "study", "report", "../../escaped", "--storage", "sqlite:evil.db");

        // Then it is refused in one line and no folder appears outside work/studies
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot name a folder", Assert.Single(result.Stderr.Trim().Split('\n')));
        Assert.False(Directory.Exists(dir["escaped"]));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(dir.Path)!, "escaped")));
        Assert.All(Directory.GetFileSystemEntries(dir["work"]), e => Assert.StartsWith("evil.db", Path.GetFileName(e)));
    }
}
