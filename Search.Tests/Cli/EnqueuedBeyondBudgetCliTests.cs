using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Trials an Optuna client enqueued after the budget was spent are left WAITING and said: by `study worker` too (it said
/// only "nothing to run"), and with one remedy (`study start` said to run `study create` on one line and `study start`
/// on the next) (audit-analysis 9).
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class EnqueuedBeyondBudgetCliTests
{
    [Fact]
    public async Task AWorkerSaysTheEnqueuedTrialsBeyondTheBudgetAndEveryCommandGivesOneRemedy()
    {
        // Given a study of one trial, done, and two trials an Optuna client enqueued afterwards
        using var dir = new TempDirectory("cli-enqueued-beyond");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "beyond");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain")).ExitCode);
        var url = $"sqlite:///{dir["studies/beyond/study.db"]}";
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            st = optuna.load_study(study_name="beyond", storage=sys.argv[1])
            st.enqueue_trial({"learning_rate": 0.001})
            st.enqueue_trial({"learning_rate": 0.002})
            """, url);

        // When a worker joins it, and the study is started again
        var joined = await SearchCli.RunAsync(dir.Path, "study", "worker", "beyond", "--storage", url);
        var started = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");

        // Then both say which trials are left WAITING, and both remedies name `study start`
        Assert.True(joined.ExitCode == 0, joined.Stderr);
        Assert.Contains("2 enqueued trial(s) beyond the budget of 1 are left WAITING (trial(s) 1, 2)", joined.Stdout + joined.Stderr);
        Assert.True(started.ExitCode == 0, started.Stderr);
        var output = started.Stdout + started.Stderr;
        Assert.Contains("left WAITING", output);
        Assert.DoesNotContain("`study create`", output);
        Assert.Contains("run `study start` with it", output);
    }
}
