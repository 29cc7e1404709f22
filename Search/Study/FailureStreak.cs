using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// Counts the trials of this process that failed in a row, in the order they ended; a COMPLETE or PRUNED one starts
/// the count again. A worker that fails every trial (an import error, a missing file, a typo in worker.command) spent
/// the whole budget in seconds, a FAIL row per trial, and a fixed worker found the study finished; now the study stops
/// at <see cref="StudySettings.MaxConsecutiveFailures"/>. Trials failed because this process was stopped are not the
/// configuration's failures and are not counted (they are queued again).
/// </summary>
internal sealed class FailureStreak(int max)
{
    private readonly object _gate = new();
    private int _count;
    private bool _tripped;

    /// <summary>
    /// Counts <paramref name="finished"/>; true the first time the count reaches the maximum (the caller stops the
    /// study then), false otherwise and ever after.
    /// </summary>
    public bool Record(TrialSnapshot finished, bool stopping)
    {
        lock (_gate)
        {
            if (finished.State is TrialState.COMPLETE or TrialState.PRUNED) _count = 0;
            else if (finished.State == TrialState.FAIL && !stopping) _count++;
            if (_tripped || _count < max) return false;
            _tripped = true;
            return true;
        }
    }

    /// <summary>The error that ends the study once the streak reached its maximum at <paramref name="last"/>.</summary>
    public static FailureStreakException Error(int max, TrialSnapshot last, IReadOnlyList<TrialSnapshot> trials, Budget budget)
    {
        var reason = Reason(last);
        // One line: a reason with the worker's stderr tail runs to 2,000 characters; `trials show` gives it whole.
        const int shown = 300;
        if (reason.Length > shown) reason = reason[..shown] + "...";
        return new FailureStreakException(
            $"{max} trials in a row failed (budget.max_consecutive_failures: {max}), so the study stopped; the last, trial {last.Number}: {reason}. "
            + $"Fix the cause and run the same command again; the failed trials count against budget.trials ({budget.Used}/{budget.Total} used)",
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
