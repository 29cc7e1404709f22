using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study whose best trial an Optuna 4.1 client wrote with only some of the study's searched parameters (define-by-run:
/// its objective suggested conv1_channels alone). study start ended in a KeyNotFoundException and a stack trace, exit 1,
/// after every trial had run; study retrain trained the worker's defaults for the others without a word.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class PartialOptunaTrialCliTests
{
    // The study (StudyFiles: conv1_channels, learning_rate, batch_size searched; the fake worker) with trial 0 told by Optuna
    // with conv1_channels alone and the value 0.99, above any the fake worker reports (0.5 + trial / 100).
    private static Task<string> StudyWithAPartialBestAsync(TempDirectory dir, int trials) => ForeignTrials.StudyAsync(dir, trials, """
        trial = study.ask()
        trial.suggest_int("conv1_channels", 8, 64, log=True)
        study.tell(trial, 0.99)
        assert study.best_trial.params.keys() == {"conv1_channels"}
        """);

    [Fact]
    public async Task EveryViewShowsTheParametersTheBestTrialLacksAsAbsent()
    {
        // Given the study, run to its budget of 2 trials
        using var dir = new TempDirectory("cli-partial-views");
        var config = await StudyWithAPartialBestAsync(dir, trials: 2);

        // When it is started, and its best and trials are read in every format, and reported
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(start.ExitCode == 0, start.Stdout + start.Stderr);
        Task<SearchCli.Result> Run(params string[] args) => SearchCli.RunAsync(dir.Path, args);
        var tables = new[]
        {
            await Run("study", "best", "cli-study"), await Run("study", "status", "cli-study"),
            await Run("trials", "show", "cli-study", "0"), await Run("trials", "list", "cli-study"),
        };
        var best = await Run("study", "best", "cli-study", "--format", "json");
        var status = await Run("study", "status", "cli-study", "--format", "json");
        var shown = await Run("trials", "show", "cli-study", "0", "--format", "json");
        var list = await Run("trials", "list", "cli-study", "--format", "json");
        var csv = await Run("trials", "list", "cli-study", "--format", "csv");
        var report = await Run("study", "report", "cli-study");

        // Then study start's summary names trial 0 with the two it lacks absent, and what a retrain would train it with
        Assert.Contains("Best trial 0: val_accuracy = 0.9900", start.Stdout);
        Assert.Matches(@"│ learning_rate\s*│ —\s*│", start.Stdout);
        Assert.Matches(@"│ batch_size\s*│ —\s*│", start.Stdout);
        Assert.Contains("trial 0 has no value for learning_rate, batch_size", start.Stdout);
        // (the fake worker is another worker program: its defaults are its own, not the table's)
        Assert.Contains("learning_rate (the worker's own default), batch_size (the worker's own default)", start.Stdout);
        // and every table shows them absent (in the list, trial 0's row; trial 1 has all three)
        foreach (var table in tables)
        {
            Assert.True(table.ExitCode == 0, table.Stderr);
            Assert.DoesNotContain("Exception", table.Stdout + table.Stderr);
        }
        foreach (var table in tables[..3])
            foreach (var name in new[] { "learning_rate", "batch_size" })
                Assert.Matches($@"│ {name}\s*│ —\s*│", table.Stdout);
        var row0 = tables[3].Stdout.Split('\n').Single(l => Regex.IsMatch(l, @"^│ 0\s*│ COMPLETE"));
        Assert.Equal(2, row0.Split('│').Count(c => c.Trim() == "—"));
        Assert.DoesNotContain("—", tables[3].Stdout.Split('\n').Single(l => Regex.IsMatch(l, @"^│ 1\s*│ COMPLETE")));
        // JSON leaves them out of params, as it does for any trial's parameters; CSV leaves the cells empty
        foreach (var r in new[] { best, status, shown, list, csv, report }) Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        var only = JsonNode.Parse(shown.Stdout)!["params"]!.AsObject();
        Assert.Equal(["conv1_channels"], only.Select(kv => kv.Key));
        Assert.Equal(only.ToJsonString(), JsonNode.Parse(best.Stdout)!["params"]!.ToJsonString());
        Assert.Equal(only.ToJsonString(), JsonNode.Parse(status.Stdout)!["best_params"]!.ToJsonString());
        Assert.Equal(only.ToJsonString(), JsonNode.Parse(list.Stdout)!.AsArray()[0]!["params"]!.ToJsonString());
        Assert.EndsWith(",,", csv.Stdout.Split('\n').Single(l => l.StartsWith("0,COMPLETE,", StringComparison.Ordinal)).TrimEnd('\r'));
        // and the report's summary and trial table show them absent
        var html = File.ReadAllText(dir["studies/cli-study/report/index.html"]);
        Assert.Contains("<th scope=\"row\">learning_rate</th><td><span aria-hidden=\"true\">—</span><span class=\"sr-only\">not used</span></td>", html);
        Assert.Contains("<th scope=\"row\">batch_size</th><td><span aria-hidden=\"true\">—</span><span class=\"sr-only\">not used</span></td>", html);
    }

    [Fact]
    public async Task TheRetrainSaysAndRecordsTheValuesItFillsIn()
    {
        // Given the study, its best trial 0 lacking learning_rate and batch_size
        using var dir = new TempDirectory("cli-partial-retrain");
        await StudyWithAPartialBestAsync(dir, trials: 1);

        // When it is retrained
        var retrain = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");

        // Then it retrains trial 0, warning once that the worker's own defaults fill in the two, naming them
        Assert.True(retrain.ExitCode == 0, retrain.Stdout + retrain.Stderr);
        Assert.Contains("Retrained trial 0", retrain.Stdout);
        var warning = Assert.Single((retrain.Stdout + retrain.Stderr).Split('\n'), l => l.Contains("WRN"));
        Assert.Contains("Trial 0 has no value for 2 searched hyperparameter(s)", warning);
        Assert.Contains("learning_rate (the worker's own default), batch_size (the worker's own default)", warning);
        // and best/retrain.json records them beside the trial's own params
        var summary = JsonNode.Parse(File.ReadAllText(dir["studies/cli-study/best/retrain.json"]))!;
        Assert.Equal(["conv1_channels"], summary["params"]!.AsObject().Select(kv => kv.Key));
        // (null: values only that program knows; the table's 0.001 and 128 were claimed for it)
        Assert.Equal("""{"learning_rate":null,"batch_size":null}""", summary["missing_params"]!.ToJsonString());
    }
}
