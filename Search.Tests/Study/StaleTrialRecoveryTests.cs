using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Study;

/// <summary>Two real coordinators on one SQLite study; one is SIGSTOPped past the heartbeat grace (issue 11, item 2).</summary>
public sealed class StaleTrialRecoveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AStoppedCoordinatorsTrialIsFailedAndQueuedAndItsLateResultIsRecordedOnTheRetry()
    {
        // Given a study of 2 trials: trial 0 is quick, trial 1 slow enough to keep the second coordinator's only slot busy
        using var dir = new TempDirectory("stale-sweep");
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 3, EpochSeconds = 0.1,
            Behaviours = { [1] = FakeWorker.Behaviour.Slow },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        await using var a = SearchCli.Watch("coordinator A", dir.Path, heartbeatGraceSeconds: 2, "study", "start", config, "--no-retrain");
        await a.WaitForOutputAsync("Trial 0 started", Patience);

        // When A is stopped (SIGSTOP) while its worker runs on and finishes, and B sweeps A's silent trial
        a.Signal(UnixSignal.Stop);
        await using var b = SearchCli.Watch("coordinator B", dir.Path, heartbeatGraceSeconds: 2, "study", "start", config, "--no-retrain");
        await b.WaitForOutputAsync("Trial 0 queued again", Patience);
        // And A is continued while B's slot is still busy with trial 1
        a.Signal(UnixSignal.Cont);

        // Then both exit 0: B survives the sweep, A neither crashes nor loses what its worker finished
        Assert.True(await b.WaitForExitAsync(Patience) == 0, b.Output);
        Assert.True(await a.WaitForExitAsync(Patience) == 0, a.Output);
        Assert.DoesNotContain("could not be supervised", a.Output + b.Output);
        Assert.DoesNotContain("cannot set attribute", b.Output);
        Assert.DoesNotContain(" ERR ", a.Output + b.Output);

        // And trial 0 is FAIL with its reason, its retry holds A's late result, and the budget is exactly spent
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["studies/cli-study/study.db"], dir.Path);
        var trials = await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id);
        var failed = trials.Single(t => t.Number == 0);
        Assert.Equal(TrialState.FAIL, failed.State);
        Assert.Contains("stale heartbeat", failed.SystemAttrs[StudyAttributes.FailReason]);
        var retry = trials.Single(t => t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryOf) == "0");
        Assert.Equal(TrialState.COMPLETE, retry.State);
        Assert.Equal("0", retry.SystemAttrs[StudyAttributes.LateResultOf]);
        Assert.Equal(0.5 + 0 / 100.0 + 3 / 1000.0, retry.Value!.Value, 6);
        Assert.Equal(3, retry.IntermediateValues.Count);
        var budget = Budget.Of(trials, 2);
        Assert.True(budget.IsSpent);
        Assert.Equal(2, budget.Used);
        Assert.Equal(3, trials.Count);
    }
}
