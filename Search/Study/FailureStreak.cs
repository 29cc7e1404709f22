using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// The study's trials that failed in a row, in the order of their numbers, among those that ended since this process began
/// (any process's: the streak is the study's, so N workers of a Kubernetes Job or a Slurm array stop after about the
/// maximum failures together, not N times it each; one that ended before is the past, fixed or not, and a resumed study
/// starts afresh); a process stops only when some of them are its own. A COMPLETE or PRUNED trial starts the count again;
/// a FAIL that was queued again (its process was stopped or died, its worker killed by a signal: retried at most twice)
/// is left out. A worker that fails every trial (an import error,
/// a missing file, a typo in worker.command) spent the whole budget in seconds, a FAIL row per trial, and a fixed worker
/// found the study finished; now the study stops at <see cref="StudySettings.MaxConsecutiveFailures"/>.
/// </summary>
internal sealed class FailureStreak(int max)
{
    // The trials already finished when this process first read the study.
    private HashSet<long>? _before;

    /// <summary>
    /// The trial whose failure made the streak reach the maximum, in <paramref name="trials"/> (the study as just read),
    /// or null.
    /// </summary>
    public TrialSnapshot? ReachedIn(IReadOnlyList<TrialSnapshot> trials)
    {
        _before ??= trials.Where(Finished).Select(t => t.Id).ToHashSet();
        var retried = Budget.Retried(trials);
        var streak = new List<TrialSnapshot>();
        // In the order of their numbers, which the database gives: completion times are each host's local clock without
        // a zone (Optuna's), hours apart between a pod on UTC and a laptop.
        foreach (var t in trials.Where(t => Finished(t) && !_before.Contains(t.Id) && !(t.State == TrialState.FAIL && retried.Contains(t.Number)))
                     .OrderBy(t => t.Number))
        {
            if (t.State == TrialState.FAIL) streak.Add(t);
            else streak.Clear();
        }
        // Only a process that failed some of them stops: a healthy host beside a broken one goes on (it stopped its
        // running trials and exited 1 with the others).
        return streak.Count >= max && streak.Any(t => OwnerAttributes.OwnerOf(t) == ProcessIdentity.Current) ? streak[^1] : null;
    }

    private static bool Finished(TrialSnapshot t) => t.State is TrialState.COMPLETE or TrialState.PRUNED or TrialState.FAIL;

    /// <summary>The error that ends the study once the streak reached its maximum at <paramref name="last"/>.</summary>
    public static FailureStreakException Error(int max, TrialSnapshot last, IReadOnlyList<TrialSnapshot> trials, Budget budget)
    {
        var reason = Reason(last);
        // One line: a reason with the worker's stderr tail runs to 2,000 characters; `trials show` gives it whole.
        const int shown = 300;
        if (reason.Length > shown) reason = reason[..(char.IsHighSurrogate(reason[shown - 1]) ? shown - 1 : shown)] + "...";
        return new FailureStreakException(
            $"{max} trials in a row failed (budget.max_consecutive_failures: {max}), so the study stopped; the last, trial {last.Number}: {reason}. "
            + $"Fix the cause and run the study again; those failed trials count against budget.trials ({budget.Used}/{budget.Total} used)",
            trials.Any(t => t.State == TrialState.COMPLETE));
    }

    /// <summary>The trial's <c>fail_reason</c> as text (stored as a JSON string, as Optuna stores system attributes).</summary>
    public static string Reason(TrialSnapshot trial)
    {
        if (!trial.SystemAttrs.TryGetValue(StudyAttributes.FailReason, out var json)) return "no reason recorded";
        try { return System.Text.Json.JsonSerializer.Deserialize<string>(json) ?? json; }
        catch (System.Text.Json.JsonException) { return json; }
    }
}

/// <summary>
/// The study stopped because its trials kept failing (<see cref="FailureStreak"/>). <see cref="AnyComplete"/>: the study
/// has a COMPLETE trial all the same (from before), so there is a result; without one the command says so as a study
/// whose trials all failed does.
/// </summary>
public sealed class FailureStreakException(string message, bool anyComplete) : Exception(message)
{
    public bool AnyComplete { get; } = anyComplete;
}
