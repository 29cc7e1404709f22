using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// An Optuna 4 client that keeps Optuna's own heartbeat (its interval and grace, not ours) optimizing the same study
/// as a `study start`: its trial is its client's to judge.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ForeignHeartbeatCliTests
{
    [Fact]
    public async Task ARunningOptunaTrialWithOptunasHeartbeatIsNotFailedByOurSweep()
    {
        // Given a created study of 3 trials, and an Optuna client with heartbeat_interval=60 whose one trial takes 10 s,
        // far longer than the heartbeat grace of 5 s the command line gets in tests
        using var dir = new TempDirectory("cli-optuna-heartbeat");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 1.0 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 3, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        var optuna = OptunaRunner.RunPythonAsync("""
            import sys, time, optuna
            storage = optuna.storages.RDBStorage(sys.argv[1], heartbeat_interval=60, grace_period=120)
            study = optuna.load_study(study_name="e", storage=storage)
            def objective(trial):
                trial.suggest_float("learning_rate", 0.0001, 0.01, log=True)
                time.sleep(10)
                return 0.5
            study.optimize(objective, n_trials=1)
            print(study.trials[0].state.name)
            """, $"sqlite:///{dir["studies/e/study.db"]}");
        await UntilOptunaRunsAsync(dir);

        // When our coordinator runs the study beside it (it waits for Optuna's trial, which holds a place of the budget)
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");

        // Then Optuna's trial completes with its value: our sweep failed it after our 5 s grace, queued it again, and
        // Optuna's tell then crashed its client ("Should not reach")
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.Equal("COMPLETE", (await optuna).Trim());
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["COMPLETE", "COMPLETE", "COMPLETE"], trials.Select(t => (string)t!["state"]!));
        Assert.DoesNotContain("no heartbeat", await File.ReadAllTextAsync(dir["studies/e/study.log"]));
    }

    private static async Task UntilOptunaRunsAsync(TempDirectory dir)
    {
        for (var waited = 0; waited < 600; waited++)
        {
            var list = await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json");
            if (list.ExitCode == 0 && JsonNode.Parse(list.Stdout)!.AsArray().Any(t => (string)t!["state"]! == "RUNNING")) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("the Optuna client never started its trial");
    }
}
