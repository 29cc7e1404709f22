using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Retraining;

/// <summary>What retraining leaves behind after kills, failures and concurrent runs (issue 11, item 12). Real CLI processes.</summary>
public sealed class RetrainLitterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string Config(TempDirectory dir, FakeWorker worker, int trials = 1) =>
        StudyFiles.WriteConfig(dir.Path, worker, trials, tweak: c => c["retrain"]!["enabled"] = true);

    [Fact]
    public async Task AWorkFolderOfARetrainKilledMidwayIsRemovedByTheNextRetrain()
    {
        // Given a study whose coordinator is SIGKILLed while it retrains (its worker killed with it)
        using var dir = new TempDirectory("retrain-kill");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01, RetrainSeconds = 60 }.Write();
        var config = Config(dir, worker);
        await using (var first = SearchCli.Watch("coordinator", dir.Path, 5, "study", "start", config))
        {
            await first.WaitForOutputAsync("Retraining trial", Patience);
            first.Signal(UnixSignal.Kill);
            await first.WaitForExitAsync(Patience);
        }
        foreach (var pid in Signals.Find(worker.ScriptPath)) Signals.SendToGroup(pid, UnixSignal.Kill);
        var litter = Directory.GetDirectories(dir["studies/cli-study"], "best.tmp-*");
        Assert.Single(litter);

        // When the retrain runs again, and succeeds
        new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var again = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");

        // Then the dead process's work folder is gone and best/ holds the model
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(["best"], Directory.GetDirectories(dir["studies/cli-study"], "best*").Select(Path.GetFileName));
        Assert.True(File.Exists(dir["studies/cli-study/best/model.bin"]));
    }

    [Fact]
    public async Task ARetrainWorkerThatSaysNothingForATrialsTimeoutIsStoppedAndTheRetrainFails()
    {
        // Given a study whose retrain worker hangs after its start line, with trials of at most 3 s on all but the 100
        // validation images (so that a retrain epoch reads no more than a trial: its silence limit is a trial's timeout)
        using var dir = new TempDirectory("retrain-hang");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01, RetrainSeconds = 600 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, 1, tweak: c =>
        {
            c["retrain"]!["enabled"] = true;
            c["budget"]!["trial_timeout_minutes"] = 0.05;
            c["dataset"]!["train_subset"] = 59_900;
        });

        // When the study runs (it used to wait for the retrain forever)
        var run = await SearchCli.RunAsync(TimeSpan.FromMinutes(2), dir.Path, "study", "start", config);

        // Then the retrain fails saying why, no best/ is left half-made, its logs are kept, and its worker is gone
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("printed nothing for 3 s (", run.Stderr + run.Stdout);
        Assert.False(Directory.Exists(dir["studies/cli-study/best"]));
        Assert.True(Directory.Exists(dir["studies/cli-study/retrain-failed"]));
        Assert.Empty(Signals.Find(worker.ScriptPath));
    }

    [Fact]
    public async Task TheLogsOfAFailedRetrainAreRemovedOnceALaterRetrainSucceeds()
    {
        // Given a study whose retrain failed, keeping its logs in retrain-failed/
        using var dir = new TempDirectory("retrain-failed");
        var config = Config(dir, new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01, RetrainFails = true }.Write());
        var failed = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.True(Directory.Exists(dir["studies/cli-study/retrain-failed"]));

        // When it is retrained again and fails again, the command says why on one line, exit 1 (it was a stack trace)
        var again1 = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");
        Assert.True(again1.ExitCode == 1, $"exit {again1.ExitCode}: {again1.Stderr}");
        Assert.Contains("error: retrain", again1.Stderr);
        Assert.DoesNotContain("   at ", again1.Stderr);

        // When a later retrain succeeds
        new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var again = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");

        // Then retrain-failed/ no longer describes the study's model
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.False(Directory.Exists(dir["studies/cli-study/retrain-failed"]));
        Assert.True(File.Exists(dir["studies/cli-study/best/model.bin"]));
    }

    [Fact]
    public async Task TwoConcurrentStudyStartsRetrainOnce()
    {
        // Given two coordinators started at once on one SQLite study of 4 trials, with retraining enabled
        using var dir = new TempDirectory("retrain-twice");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 0.2, RetrainSeconds = 1 }.Write();
        var config = Config(dir, worker, trials: 4);
        var a = SearchCli.RunAsync(dir.Path, "study", "start", config);
        var b = SearchCli.RunAsync(dir.Path, "study", "start", config);

        // When both finish
        var results = await Task.WhenAll(a, b);

        // Then both succeed, but only one retrained; the other said why it did not
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var retrains = File.ReadAllLines(worker.RetrainsLogPath).Where(l => l.EndsWith(" start", StringComparison.Ordinal)).ToList();
        Assert.Single(retrains);
        Assert.Single(results, r => r.Stderr.Contains("Not retraining", StringComparison.Ordinal));
    }
}
