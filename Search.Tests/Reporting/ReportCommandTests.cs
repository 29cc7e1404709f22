using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Reporting;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Reporting;

public sealed class ReportCommandTests
{
    [Fact]
    public async Task WhenANamedStudyIsReportedThenThePathOfIndexHtmlIsPrinted()
    {
        // Given a study in the default place studies/NAME/study.db
        using var dir = new TempDirectory("report-cli");
        await using (var study = await ReportStudy.CreateAsync(dir["studies/cli-report/study.db"], "cli-report"))
            await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.9, 0.95]);

        // When `study report cli-report` runs
        var result = await SearchCli.RunAsync(dir.Path, "study", "report", "cli-report");

        // Then it succeeds and prints studies/cli-report/report/index.html, which exists
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var expected = Path.Combine(dir.Path, "studies", "cli-report", "report", "index.html");
        Assert.Equal(expected, result.Stdout.Trim());
        Assert.True(File.Exists(expected));
        Assert.True(File.Exists(Path.Combine(dir.Path, "studies", "cli-report", "report", "history.png")));
    }

    [Fact]
    public async Task WhenStorageAndOutAreGivenThenTheReportGoesToOut()
    {
        // Given a study in a database outside the studies folder
        using var dir = new TempDirectory("report-cli-out");
        await using (var study = await ReportStudy.CreateAsync(dir["elsewhere.db"], "other"))
            await study.AddTrialAsync(TrialState.PRUNED, 1e-3, 16, "sgd", [0.5]);

        // When the report is asked for with --storage and --out
        var result = await SearchCli.RunAsync(dir.Path, "study", "report", "other", "--storage", "sqlite:" + dir["elsewhere.db"], "--out", "custom");

        // Then index.html is in the --out folder
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Equal(Path.Combine(dir.Path, "custom", "index.html"), result.Stdout.Trim());
    }

    [Fact]
    public async Task WhenTheStudyIsUnknownThenItExitsWith2AndOneLineNamingIt()
    {
        // Given a storage holding a study of another name, and no default study folder
        using var dir = new TempDirectory("report-cli-unknown");
        await using (await ReportStudy.CreateAsync(dir["s.db"], "present")) { }

        // When reports are asked for a missing name, by storage URL and by default location
        var byUrl = await SearchCli.RunAsync(dir.Path, "study", "report", "absent", "--storage", "sqlite:" + dir["s.db"]);
        var byName = await SearchCli.RunAsync(dir.Path, "study", "report", "absent");

        // Then both exit 2 with one line naming the study, and no report folder is written
        Assert.Equal(2, byUrl.ExitCode);
        Assert.Equal($"error: unknown study 'absent' in sqlite:///{dir["s.db"]}", byUrl.Stderr.Trim());
        Assert.Equal(2, byName.ExitCode);
        Assert.StartsWith("error: unknown study 'absent':", byName.Stderr.Trim());
        Assert.Single(byName.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["studies"]));
    }
}
