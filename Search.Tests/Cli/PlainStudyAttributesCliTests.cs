using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A Python reader gets the study's fixed hyperparameters, objective and chosen configuration as plain
/// <c>study.user_attrs</c> (audit-analysis 7, 8): they were only in a deprecated system attribute, or nowhere.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class PlainStudyAttributesCliTests
{
    [Fact]
    public async Task PythonReadsTheFixedValuesTheObjectiveAndTheChosenConfigurationWithItsMeanFromUserAttrs()
    {
        // Given a study whose best configuration is chosen by the mean of two evaluations (selection: 1 candidate evaluated twice more, of 4 trials;
        // the fake worker scores later trials higher, so the repeat outscores its original)
        using var dir = new TempDirectory("cli-plain-attrs");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 4, name: "plain",
            tweak: c => c["selection"] = new System.Text.Json.Nodes.JsonObject { ["candidates"] = 1, ["repeats"] = 2 });

        // When it runs, and Optuna reads it
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var read = await OptunaRunner.RunPythonAsync("""
            import sys, json, optuna
            st = optuna.load_study(study_name="plain", storage=sys.argv[1])
            a = st.user_attrs
            c = a["chosen"]
            evaluated = [t.value for t in st.trials if t.number in c["evaluations"]]
            print(json.dumps(a["fixed"]), json.dumps(a["objective"], sort_keys=True), len(c["evaluations"]),
                  abs(c["value"] - sum(evaluated) / len(evaluated)) < 1e-12, c["trial"] == c["evaluations"][0], st.best_trial.number != c["trial"])
            """, $"sqlite:///{dir["studies/plain/study.db"]}");

        // Then user_attrs hold the fixed values and the objective, and the chosen trial with the mean of its three
        // evaluations (not Optuna's best_trial, a repeat)
        Assert.Equal("""{"optimizer": "adam"} {"direction": "maximize", "metric": "val_accuracy"} 3 True True True""", read.Trim());
    }
}
