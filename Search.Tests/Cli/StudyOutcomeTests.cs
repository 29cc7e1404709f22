using Mnist.Search.Cli;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;
using Serilog.Events;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The end of a study run against README's exit-code table: 0 success, 3 the study ran but no trial completed (each
/// failed or was pruned), 130 interrupted; a study timeout is said but is no failure.
/// </summary>
public sealed class StudyOutcomeTests
{
    private static readonly StudyOutcome.Hints Hints = new("s --storage sqlite:x.db", "run `study worker s --storage sqlite:x.db` again", " (pw)");

    private static StudyOutcome Classify(TrialState[] states, int total, bool interrupted = false, bool worker = false, int abandoned = 0)
    {
        var trials = states.Select(s => SomeTrials.With(s, 0.5)).ToList();
        return StudyOutcome.Classify(trials, Budget.Of(trials, total), interrupted, worker, abandoned, Hints);
    }

    [Fact]
    public void ASpentBudgetWithACompleteTrialIsSuccessWithoutALine()
    {
        // Given a budget of 3 spent with one COMPLETE, one PRUNED and one FAIL trial
        // When the run is classified
        var outcome = Classify([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL], total: 3);

        // Then it exits 0, says nothing, and the best trial may be retrained
        Assert.Equal(0, outcome.ExitCode);
        Assert.Empty(outcome.Notices);
        Assert.True(outcome.MayRetrain);
    }

    [Fact]
    public void EveryTrialFailedIsExitThreeNamingTheCommandToListThem()
    {
        // Given a spent budget whose trials all failed
        // When the run is classified
        var outcome = Classify([TrialState.FAIL, TrialState.FAIL], total: 2);

        // Then it exits 3 with one error naming `trials list ... --state FAIL`, and nothing is retrained
        Assert.Equal(3, outcome.ExitCode);
        Assert.False(outcome.MayRetrain);
        var notice = Assert.Single(outcome.Notices);
        Assert.Equal(LogEventLevel.Error, notice.Level);
        Assert.StartsWith("All {Count} trials failed; see `trials list {StudyArgs} --state FAIL`", notice.Template);
        Assert.Equal([2, Hints.StudyArgs, Hints.PasswordNote], notice.Args);
    }

    [Fact]
    public void PrunedAndFailedTrialsOnlyAreExitThreeNoBestTrial()
    {
        // Given a spent budget of pruned and failed trials (none trained to the end)
        // When the run is classified
        var outcome = Classify([TrialState.PRUNED, TrialState.FAIL, TrialState.PRUNED], total: 3);

        // Then it exits 3, counting each
        Assert.Equal(3, outcome.ExitCode);
        var notice = Assert.Single(outcome.Notices);
        Assert.StartsWith("No trial completed ({Pruned} pruned, {Failed} failed): no best trial and no model", notice.Template);
        Assert.Equal([2, 1, Hints.StudyArgs], notice.Args);
    }

    [Fact]
    public void AStudyTimeoutIsSaidAndStillSucceedsWithACompleteTrial()
    {
        // Given a budget of 5 of which 2 trials ended (the study timeout stopped it), one COMPLETE
        // When the run is classified
        var outcome = Classify([TrialState.COMPLETE, TrialState.FAIL], total: 5);

        // Then it warns of the timeout and exits 0
        Assert.Equal(0, outcome.ExitCode);
        var notice = Assert.Single(outcome.Notices);
        Assert.Equal((LogEventLevel.Warning, "Stopped with {Used}/{Total} trials done (study timeout)"), (notice.Level, notice.Template));
        Assert.Equal([2, 5], notice.Args);

        // And a process that stopped waiting for other clients' abandoned trials does not call it a timeout
        Assert.Empty(Classify([TrialState.COMPLETE, TrialState.FAIL], total: 5, abandoned: 1).Notices);

        // And a timeout before any trial completed is both said and exit 3
        var failed = Classify([TrialState.FAIL], total: 5);
        Assert.Equal(3, failed.ExitCode);
        Assert.Equal([LogEventLevel.Warning, LogEventLevel.Error], failed.Notices.Select(n => n.Level));
    }

    [Fact]
    public void AnInterruptedRunIsExit130AndSaysHowToGoOnForACoordinatorAndForAWorker()
    {
        // Given a run stopped (Ctrl+C) after every trial had failed
        TrialState[] states = [TrialState.FAIL, TrialState.RUNNING];

        // When a coordinator's and a joining worker's run are classified
        var coordinator = Classify(states, total: 4, interrupted: true);
        var worker = Classify(states, total: 4, interrupted: true, worker: true);

        // Then both exit 130 (not 3), the coordinator naming `study resume`, the worker its own command again
        Assert.Equal((130, 130), (coordinator.ExitCode, worker.ExitCode));
        Assert.Contains("`study resume {StudyArgs}`", Assert.Single(coordinator.Notices).Template);
        Assert.Equal([1, 4, Hints.StudyArgs, Hints.PasswordNote], coordinator.Notices[0].Args);
        Assert.Equal("Interrupted: {Used}/{Total} trials done; {Again}", Assert.Single(worker.Notices).Template);
        Assert.Equal([1, 4, Hints.WorkerAgain], worker.Notices[0].Args);
    }
}
