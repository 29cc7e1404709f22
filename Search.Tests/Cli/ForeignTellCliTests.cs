using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A trial an Optuna client finishes with <c>tell</c> while our worker runs it stays as told, and its worker is stopped.
/// Before, the worker ran on to its end, holding its slot, and its result came back as a new COMPLETE trial ("recorded
/// as its retry": a configuration the user aborted could become the best and be retrained); a tell of a value was
/// logged as "another process had failed it". Trials our own sweeps fail keep their late-result path
/// (StaleTrialRecoveryTests).
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ForeignTellCliTests
{
    [Theory]
    [InlineData("state=optuna.trial.TrialState.FAIL", "FAIL", null)]
    [InlineData("0.99", "COMPLETE", 0.99)]
    public async Task ATrialAnOptunaClientTellsWhileOurWorkerRunsItStaysAsToldAndItsWorkerIsStopped(string tell, string state, double? value)
    {
        // Given a study of one trial of 8 two-second epochs, running
        using var dir = new TempDirectory("cli-foreign-tell");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 8, EpochSeconds = 2 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        using var study = SearchCli.Start(dir.Path, "study", "start", config);
        var stdout = study.StandardOutput.ReadToEndAsync();
        var stderr = study.StandardError.ReadToEndAsync();
        await worker.UntilStartedAsync(study, stderr);

        // When an Optuna client tells it
        await OptunaRunner.RunPythonAsync($"""
            import sys, optuna
            optuna.load_study(study_name="cli-study", storage=sys.argv[1]).tell(0, {tell})
            """, $"sqlite:///{dir["studies/cli-study/study.db"]}");

        // Then the study ends with that one trial as told, nothing made from its worker's output, and the worker stopped
        // before its last epoch
        Assert.True(study.WaitForExit(60_000), "the study did not end");
        await stdout;
        var err = await stderr;
        Assert.True(study.ExitCode is 0 or 3, $"exit {study.ExitCode}: {err}");
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "cli-study", "--format", "json")).Stdout)!.AsArray();
        var only = Assert.Single(trials)!;
        Assert.Equal(state, (string)only["state"]!);
        Assert.Equal(value, (double?)only["value"]);
        Assert.DoesNotContain(" end", File.ReadAllText(worker.LogPath));
        Assert.Contains($"Trial 0 was finished as {state} by another client", err);
        Assert.DoesNotContain("failed it", err);
    }
}
