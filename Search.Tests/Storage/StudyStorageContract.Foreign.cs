using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Storage;

/// <summary>The contract's part about trials an Optuna client runs beside this tool's coordinators.</summary>
public abstract partial class StudyStorageContract
{
    [Fact]
    public async Task AStaleHeartbeatOfATrialThisToolDidNotStartIsLeftToItsOwnClient()
    {
        // Given an Optuna client's trial with Optuna's own heartbeat (a heartbeat row, none of our attributes), and one of ours,
        // both silent for longer than the grace
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var optunas = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        var ours = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        await SilenceAsync(optunas.Id, ours.Id);

        // When the sweep runs
        var failed = await Storage.FailStaleTrialsAsync(study.Id, Grace);

        // Then only ours is failed: Optuna's was failed by our grace, not its client's (heartbeat_interval=60 with our 30 s
        // grace lost its result and crashed the client's tell)
        Assert.Equal([ours.Id], failed.Select(f => f.Trial.Id));
        Assert.Equal(TrialState.RUNNING, (await Storage.GetTrialAsync(optunas.Id)).State);
    }

    [Fact]
    public async Task AClaimOfAWaitingTrialWritesTheClaimersAttributesAndHonoursTheBudgetCheck()
    {
        // Given two queued trials
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var first = await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);
        await Storage.CreateTrialAsync(study.Id, TrialState.WAITING);

        // When one is claimed with our attributes and the check allowing one RUNNING trial at most, then again
        static bool AtMostOneRunning(IReadOnlyList<TrialSnapshot> trials) => trials.All(t => t.State != TrialState.RUNNING);
        var claimed = await Storage.PopWaitingTrialAsync(study.Id, AtMostOneRunning, Ours);
        var refused = await Storage.PopWaitingTrialAsync(study.Id, AtMostOneRunning, Ours);

        // Then the first carries the attributes from its claim on (the sweep judges it as ours), and the second stays WAITING
        Assert.Equal((first.Id, "\"this-host\""), (claimed!.Id, claimed.SystemAttrs[StudyAttributes.Host]));
        Assert.Null(refused);
        Assert.Single(await Storage.GetAllTrialsAsync(study.Id, [TrialState.WAITING]));
    }

    [Fact]
    public async Task WithNoTrialWaitingAClaimReadsNoTrialsForItsCheck()
    {
        // Given a study with finished and running trials and none WAITING
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var done = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);
        await Storage.FinishTrialAsync(done.Id, TrialState.COMPLETE, 0.5);
        await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // When a claim is tried with a budget check
        var asked = 0;
        var claimed = await Storage.PopWaitingTrialAsync(study.Id, _ => { asked++; return true; }, Ours);

        // Then nothing is claimed and the check was not asked: every proposal tries a claim, and reading a study of
        // thousands of trials for it held the write lock for a second each time (audit-scale 3)
        Assert.Null(claimed);
        Assert.Equal(0, asked);
    }
}
