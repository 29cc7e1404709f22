using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study where an Optuna client stored an infinite value: every command names the same best trial, BestTrial's
/// (COMPLETE with a finite value). The progress line and `trials list --top` named the Infinity trial while `study best`
/// and `study status` named another.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ForeignInfiniteBestCliTests
{
    [Fact]
    public async Task EveryCommandNamesTheSameBestTrialWhenOptunaStoredAnInfiniteValue()
    {
        // Given a study Optuna 4 made over the same parameters, whose trial 1 COMPLETE has the value +inf, and a search.json
        // (the fake worker) that runs one more trial on it
        using var dir = new TempDirectory("cli-foreign-inf");
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            study = optuna.create_study(study_name="cli-study", storage=sys.argv[1], direction="maximize")
            values = iter([0.5, float("inf"), 0.25])
            study.optimize(lambda t: (t.suggest_int('conv1_channels', 8, 64, log=True), t.suggest_float('learning_rate', 1e-4, 1e-2, log=True),
                                      t.suggest_categorical('batch_size', [64, 128]), next(values))[-1], n_trials=3)
            assert study.best_trial.number == 1  # Optuna's own best_trial is the Infinity one
            """, $"sqlite:///{dir["optuna.db"]}");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 4,
            tweak: c => c["storage"] = "sqlite:optuna.db");

        // When the study is finished, and its best asked of every command that names one
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        var best = await SearchCli.RunAsync(dir.Path, "study", "best", "cli-study", "--storage", "sqlite:optuna.db", "--format", "json");
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "cli-study", "--storage", "sqlite:optuna.db", "--format", "json");
        var top = await SearchCli.RunAsync(dir.Path, "trials", "list", "cli-study", "--storage", "sqlite:optuna.db", "--top", "1", "--format", "json");

        // Then all of them name the same trial, and it is not the Infinity one
        foreach (var r in new[] { start, best, status, top }) Assert.True(r.ExitCode == 0, r.Stderr);
        var chosen = (int)JsonNode.Parse(best.Stdout)!["number"]!;
        Assert.NotEqual(1, chosen);
        Assert.Equal(chosen, (int)JsonNode.Parse(status.Stdout)!["best_trial"]!);
        Assert.Equal(chosen, (int)JsonNode.Parse(top.Stdout)!.AsArray().Single()!["number"]!);
        var progress = (start.Stdout + start.Stderr).Split('\n').Last(l => l.Contains("Progress:"));
        Assert.Matches($@"best val_accuracy [0-9.]+ \(trial {chosen}\)", progress);
    }
}
