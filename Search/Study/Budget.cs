using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// How much of a study's trial budget is spent, from its trials alone (so every process agrees).
/// COMPLETE, PRUNED and FAIL count; a FAIL that was queued again (its process died) does not — its
/// retry, which names it in <see cref="StudyAttributes.RetryOf"/>, stands in for it. The retry is written in
/// the transaction that fails the trial (<see cref="Storage.IStudyStorage.FailTrialAsync"/>), so there is no
/// moment when both or neither count. RUNNING and WAITING trials are in flight.
/// </summary>
public readonly record struct Budget(int Total, int Used, int Running, int Waiting, int Retries)
{
    public static Budget Of(IReadOnlyList<TrialSnapshot> trials, int total)
    {
        var retried = Retried(trials);
        int used = 0, running = 0, waiting = 0;
        foreach (var t in trials)
        {
            if (t.State == TrialState.RUNNING) running++;
            else if (t.State == TrialState.WAITING) waiting++;
            else if (!(t.State == TrialState.FAIL && retried.Contains(t.Number))) used++;
        }
        return new Budget(total, used, running, waiting, retried.Count);
    }

    /// <summary>RUNNING and WAITING trials: each holds its place.</summary>
    public int InFlight => Running + Waiting;

    /// <summary>The numbers of the FAIL trials that were queued again (named by a later trial's <see cref="StudyAttributes.RetryOf"/>).</summary>
    public static HashSet<int> Retried(IReadOnlyList<TrialSnapshot> trials)
    {
        var retried = new HashSet<int>();
        foreach (var t in trials)
            if (t.SystemAttrs.TryGetValue(StudyAttributes.RetryOf, out var of) && int.TryParse(of, out var n)) retried.Add(n);
        return retried;
    }

    /// <summary>
    /// Every budgeted trial has ended. WAITING trials beyond the budget (<see cref="WaitingBeyond"/>) do not keep it
    /// open: they are never claimed, and a study that waited for them never ended.
    /// </summary>
    public bool IsSpent => Used >= Total && Running == 0;

    /// <summary>
    /// A WAITING trial may be claimed: counted with it, the used and running trials stay within the budget. Our own
    /// retries and `study enqueue`'s trials always are (their places were budgeted when they were queued); an Optuna
    /// client's <c>enqueue_trial</c> made after the budget was spent is not, and was run anyway ("13/12 done").
    /// </summary>
    public bool CanClaimWaiting => Used + Running < Total;

    /// <summary>WAITING trials the budget has no place for (enqueued by an Optuna client once it was spent, or kept after budget.trials was lowered).</summary>
    public int WaitingBeyond => Math.Clamp(Used + Running + Waiting - Total, 0, Waiting);

    /// <summary>A new trial (not a retry) may start.</summary>
    public bool CanStartNew => Left > 0;

    /// <summary>How many new trials (sampled or enqueued) the budget still has room for.</summary>
    public int Left => Math.Max(0, Total - Used - InFlight);

    /// <summary>
    /// The highest trial number a new (non-retry) trial may take. Numbers are dense and each retry takes one
    /// extra number, so <c>Total + Retries - 1</c> caps new trials exactly, even across processes racing
    /// for the next number (storage enforces it in the creating transaction).
    /// </summary>
    public int MaxNewTrialNumber => Total + Retries - 1;
}
