using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study report` lays the parameter columns out in the search space's order, which it reads from the study's stored
/// configuration: without it the report falls back to the order the trials stored their parameters in (review 1207b part 2, 6).
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ReportSpaceOrderCliTests
{
    [Fact]
    public async Task TheReportsTrialsTableFollowsTheStoredSpacesOrderNotTheOrderATrialStoredItsParametersIn()
    {
        // Given a created study whose space reads conv1_channels, learning_rate, batch_size, and a trial an Optuna client
        // told after suggesting them the other way round
        using var dir = new TempDirectory("cli-report-order");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, name: "order");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            study = optuna.load_study(study_name="order", storage=sys.argv[1])
            t = study.ask()
            t.suggest_categorical("batch_size", [64, 128])
            t.suggest_float("learning_rate", 0.0001, 0.01, log=True)
            t.suggest_int("conv1_channels", 8, 64, log=True)
            study.tell(t, 0.9)
            """, $"sqlite:///{dir["studies/order/study.db"]}");

        // When its report is written
        var report = await SearchCli.RunAsync(dir.Path, "study", "report", "order");

        // Then the trials table's columns are in the space's order
        Assert.True(report.ExitCode == 0, report.Stdout + report.Stderr);
        var html = File.ReadAllText(dir["studies/order/report/index.html"]);
        var columns = new[] { "conv1_channels", "learning_rate", "batch_size" }
            .Select(n => html.IndexOf($"<th scope=\"col\">{n}</th>", StringComparison.Ordinal)).ToArray();
        Assert.All(columns, c => Assert.True(c >= 0, html));
        Assert.True(columns[0] < columns[1] && columns[1] < columns[2], string.Join(", ", columns));
    }
}
