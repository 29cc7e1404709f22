using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Pruning;

/// <summary>
/// Optuna's SuccessiveHalvingPruner reads a trial's rivals only from the trial system attribute completed_rung_N, which
/// this tool never wrote: a Python trial reporting 0.0 at the first rung, against our trials' 0.5 and more, was
/// promoted (audit-optuna 5). Our ASHA pruner now writes it as Optuna's does.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class OptunaRungAttributeTests
{
    [Fact]
    public async Task OptunasSuccessiveHalvingPrunerInPythonJudgesItsTrialAgainstOurs()
    {
        // Given a study of three trials of two epochs under ASHA (rung 0 at epoch 1, factor 3), run by this tool
        using var dir = new TempDirectory("optuna-rungs");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 3, tweak: c =>
            c["pruner"] = new System.Text.Json.Nodes.JsonObject { ["kind"] = "asha", ["min_resource"] = 1, ["reduction_factor"] = 3 });
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);

        // When a Python client with Optuna's SuccessiveHalvingPruner reports a far worse value at step 1 and asks it
        var output = await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            study = optuna.load_study(study_name="cli-study", storage=sys.argv[1],
                                      pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
            ours = [(t.system_attrs.get("completed_rung_0"), t.intermediate_values[1]) for t in study.trials]
            t = study.ask(); t.suggest_float("learning_rate", 1e-4, 1e-2, log=True); t.report(0.0, 1)
            print(len(ours), all(rung == value for rung, value in ours), t.should_prune())
            study.tell(t, state=optuna.trial.TrialState.FAIL)
            """, $"sqlite:///{dir["studies/cli-study/study.db"]}");

        // Then each of our trials holds its epoch-1 value as completed_rung_0, and Optuna prunes the Python trial
        Assert.Equal("3 True True", output.Trim());
    }
}
