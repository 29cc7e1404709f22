using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study with no COMPLETE trial has no result yet: <c>study retrain</c> and <c>study export</c> exit with code 3, as
/// <c>study best</c> does; they exited 2, which a script could not tell from a mistyped command or study name.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class NoCompleteTrialCliTests
{
    [Fact]
    public async Task RetrainExportAndBestOfAStudyWithNoCompleteTrialExitWithCodeThree()
    {
        // Given a study whose only trial failed
        using var dir = new TempDirectory("cli-no-complete");
        var url = "sqlite:" + dir["optuna.db"];
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            s = optuna.create_study(study_name="failed", storage=sys.argv[1], direction="maximize")
            t = s.ask(); t.suggest_float("x", 0, 1); s.tell(t, state=optuna.trial.TrialState.FAIL)
            """, $"sqlite:///{dir["optuna.db"]}");

        // When it is retrained, exported and asked for its best trial
        var retrain = await SearchCli.RunAsync(dir.Path, "study", "retrain", "failed", "--storage", url);
        var export = await SearchCli.RunAsync(dir.Path, "study", "export", "failed", "--storage", url, "--out", dir["out"]);
        var best = await SearchCli.RunAsync(dir.Path, "study", "best", "failed", "--storage", url);

        // Then each says so in one line and exits 3 (no COMPLETE trial), not 2 (bad input)
        Assert.Equal((3, "error: study 'failed' has no COMPLETE trial to retrain"), (retrain.ExitCode, retrain.Stderr.Trim()));
        Assert.Equal((3, "error: study 'failed' has no retrained model and no COMPLETE trial"), (export.ExitCode, export.Stderr.Trim()));
        Assert.Equal((3, "error: study 'failed' has no COMPLETE trial yet"), (best.ExitCode, best.Stderr.Trim()));
        Assert.False(Directory.Exists(dir["out"]));
    }
}
