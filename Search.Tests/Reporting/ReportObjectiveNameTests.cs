using System.Text.Json.Nodes;
using Mnist.Search.Reporting;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// The report names the objective's metric, from the configuration stored with the study (audit-downstream 5: it said
/// "value" and "objective value" everywhere, so a val_loss study and a val_accuracy study read alike); a study without a
/// stored configuration (Optuna made it) still renders, saying "objective value".
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ReportObjectiveNameTests
{
    [Theory]
    [InlineData("""{ "metric": "val_loss", "direction": "minimize" }""", "val_loss", "val_accuracy")]
    [InlineData(null, "val_accuracy", "val_loss")]
    public async Task TheSummaryTableAndFiguresNameTheStudysMetric(string? objective, string metric, string other)
    {
        // Given a study created by `study create` (its objective given, or left to the default) with three COMPLETE trials
        using var dir = new TempDirectory("report-metric");
        var config = new JsonObject
        {
            ["study"] = "named",
            ["dataset"] = new JsonObject { ["name"] = "mnist", ["validation"] = 1000, ["train_subset"] = 2000 },
            ["space"] = new JsonObject
            {
                ["conv1_channels"] = new JsonObject { ["type"] = "int", ["low"] = 8, ["high"] = 16, ["log"] = true },
                ["learning_rate"] = new JsonObject { ["type"] = "float", ["low"] = 0.001, ["high"] = 0.01, ["log"] = true },
            },
            ["budget"] = new JsonObject { ["trials"] = 3, ["epochs"] = 1 },
            ["sampler"] = new JsonObject { ["kind"] = "random", ["seed"] = 1 },
        };
        if (objective is not null) config["objective"] = JsonNode.Parse(objective);
        await File.WriteAllTextAsync(dir["search.json"], config.ToJsonString());
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", "search.json");
        Assert.True(created.ExitCode == 0, created.Stderr + created.Stdout);
        await using (var storage = await StorageFactory.OpenAsync("sqlite:" + dir["studies/named/study.db"], dir.Path))
        {
            var study = (await storage.GetStudyAsync("named"))!;
            foreach (var (channels, value) in new[] { (8L, 0.845), (12L, 0.702), (16L, 0.815) })
            {
                var trial = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING, new Dictionary<string, (ParameterDistribution, double)>
                {
                    ["conv1_channels"] = (new IntDistribution(8, 16, Log: true), channels),
                    ["learning_rate"] = (new FloatDistribution(0.001, 0.01, Log: true), 0.003),
                });
                await storage.ReportIntermediateValueAsync(trial.Id, 1, value);
                await storage.FinishTrialAsync(trial.Id, TrialState.COMPLETE, value);
            }
        }

        // When `study report named` runs
        var report = await SearchCli.RunAsync(dir.Path, "study", "report", "named");

        // Then the summary, the best trial and the table's value column name the metric, and the other metric appears nowhere
        Assert.True(report.ExitCode == 0, report.Stderr + report.Stdout);
        var html = await File.ReadAllTextAsync(dir["studies/named/report/index.html"]);
        Assert.Contains($"<th scope=\"row\">Objective</th><td>{metric}</td>", html);
        var best = metric == "val_loss" ? "#1: val_loss 0.702" : "#0: val_accuracy 0.845";
        Assert.Contains($"<th scope=\"row\">Best trial</th><td>{best}</td>", html);
        Assert.Contains($"<th scope=\"col\">#</th><th scope=\"col\">state</th><th scope=\"col\">{metric}</th>", html);
        Assert.DoesNotContain(other, html);
        Assert.DoesNotContain("objective value", html);
        // And so do the figures' value axes: the history's y axis, the curves' and the parallel coordinates' last axis
        await using var reader = await StorageFactory.OpenReadOnlyAsync("sqlite:" + dir["studies/named/study.db"], dir.Path);
        // (the report command reads the metric from the stored configuration; here it is given as the command gives it)
        var data = (await StudyReportData.LoadAsync(reader, "named"))! with { Metric = metric };
        Assert.Equal(metric, HistoryPlot.Build(data)!.Axes.Left.Label.Text);
        Assert.Equal($"{metric} (intermediate value)", LearningCurvesPlot.BuildObjective(data)!.Axes.Left.Label.Text);
        Assert.Contains(metric, ParallelCoordinatesPlot.Build(data)!.GetPlottables<ScottPlot.Plottables.Text>().Select(t => t.LabelText));
    }

    [Fact]
    public async Task AStudyOptunaMadeWithoutAStoredConfigurationRendersWithObjectiveValue()
    {
        // Given a study Optuna 4 created and ran (no stored configuration of this tool)
        using var dir = new TempDirectory("report-metric-optuna");
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.create_study(study_name="foreign", storage=sys.argv[1], direction="minimize")
            study.optimize(lambda t: t.suggest_float("learning_rate", 1e-3, 1e-2, log=True) * 10, n_trials=3)
            """, "sqlite:///" + dir["optuna.db"]);

        // When `study report` runs on it
        var report = await SearchCli.RunAsync(dir.Path, "study", "report", "foreign", "--storage", "sqlite:" + dir["optuna.db"], "--out", "out");

        // Then the page renders and calls the value "objective value", saying the study does not name its metric
        Assert.True(report.ExitCode == 0, report.Stderr + report.Stdout);
        var html = await File.ReadAllTextAsync(dir["out/index.html"]);
        Assert.Contains("<th scope=\"row\">Objective</th><td>not named (the study has no stored configuration this tool can read: another Optuna client made it, or it was changed)</td>", html);
        Assert.Matches("<th scope=\"row\">Best trial</th><td>#\\d: objective value [0-9.]+</td>", html);
        Assert.Contains("<th scope=\"col\">#</th><th scope=\"col\">state</th><th scope=\"col\">objective value</th>", html);
        Assert.True(File.Exists(dir["out/history.png"]));
        await using var reader = await StorageFactory.OpenReadOnlyAsync("sqlite:" + dir["optuna.db"], dir.Path);
        Assert.Equal("objective value", HistoryPlot.Build((await StudyReportData.LoadAsync(reader, "foreign"))!)!.Axes.Left.Label.Text);
    }
}
