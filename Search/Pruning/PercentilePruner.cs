using Mnist.Search.Vocabulary;

namespace Mnist.Search.Pruning;

/// <summary>
/// Prunes a trial whose best intermediate value so far is worse than the given percentile of the
/// COMPLETE trials' values at the same step — Optuna's <c>PercentilePruner</c> semantics:
/// nothing is pruned until <see cref="StartupTrials"/> trials have completed, nor in the first
/// <see cref="WarmupSteps"/> epochs, and only at the first report of each <see cref="IntervalSteps"/> interval.
/// </summary>
public sealed class PercentilePruner : IPruner
{
    public PercentilePruner(double percentile, int startupTrials = 5, int warmupSteps = 0, int intervalSteps = 1, int minTrials = 1)
    {
        if (percentile is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "must be in [0, 100]");
        if (startupTrials < 0) throw new ArgumentOutOfRangeException(nameof(startupTrials), startupTrials, "must be >= 0");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "must be >= 0");
        if (intervalSteps < 1) throw new ArgumentOutOfRangeException(nameof(intervalSteps), intervalSteps, "must be >= 1");
        if (minTrials < 1) throw new ArgumentOutOfRangeException(nameof(minTrials), minTrials, "must be >= 1");
        Percentile = percentile;
        StartupTrials = startupTrials;
        WarmupSteps = warmupSteps;
        IntervalSteps = intervalSteps;
        MinTrials = minTrials;
    }

    public double Percentile { get; }
    public int StartupTrials { get; }
    public int WarmupSteps { get; }
    public int IntervalSteps { get; }
    public int MinTrials { get; }

    public override string ToString() =>
        $"{(Percentile == 50 ? "median" : $"{Percentile.ToString(System.Globalization.CultureInfo.InvariantCulture)}th percentile")}: a trial whose best " +
        $"value so far is worse than that of the COMPLETE trials at its epoch stops (once {StartupTrials} trials completed" +
        (WarmupSteps > 0 ? $", after {WarmupSteps} warm-up epoch(s)" : "") + (IntervalSteps > 1 ? $", every {IntervalSteps} epochs" : "") + ")";

    public bool ShouldPrune(TrialSnapshot trial, IReadOnlyList<TrialSnapshot> trials, StudyDirection direction)
    {
        if (trial.LastIntermediate is not { } last) return false;
        var step = last.Step;
        if (OptunaStep(step) < WarmupSteps || !IsFirstInIntervalStep(step, trial.IntermediateValues.Keys)) return false;

        var completed = trials.Where(t => t.State == TrialState.COMPLETE).ToList();
        if (completed.Count == 0 || completed.Count < StartupTrials) return false;

        var maximize = direction == StudyDirection.MAXIMIZE;
        var finite = trial.IntermediateValues.Values.Where(v => !double.IsNaN(v)).ToList();
        // A trial reporting only NaN is worse than anything (Optuna prunes it).
        if (finite.Count == 0) return true;
        var best = maximize ? finite.Max() : finite.Min();

        var atStep = completed
            .Where(t => t.IntermediateValues.TryGetValue(step, out var v) && !double.IsNaN(v))
            .Select(t => t.IntermediateValues[step])
            .ToArray();
        if (atStep.Length < MinTrials) return false;
        var threshold = Quantile.Linear(atStep, maximize ? 100 - Percentile : Percentile);
        return maximize ? best < threshold : best > threshold;
    }

    /// <summary>
    /// Epoch <paramref name="epoch"/> as the step Optuna's warm-up and interval count: epochs are reported as steps 1, 2,
    /// … and Optuna's examples report them as 0, 1, … (<c>trial.report(acc, epoch)</c> over <c>range(epochs)</c>), so
    /// that <c>n_warmup_steps=1</c> keeps the first epoch from being judged. Taking the epoch for Optuna's step judged a
    /// trial one epoch early: <c>warmup_epochs: 1</c> pruned trials at epoch 1, after no warm-up at all.
    /// </summary>
    private static int OptunaStep(int epoch) => epoch - 1;

    // Optuna's _is_first_in_interval_step: prune only at the first report at or after each interval boundary.
    private bool IsFirstInIntervalStep(int step, IEnumerable<int> steps)
    {
        var nearestLowerPruningStep = (OptunaStep(step) - WarmupSteps) / IntervalSteps * IntervalSteps + WarmupSteps;
        var secondLast = steps.Where(s => s != step).Select(OptunaStep).DefaultIfEmpty(-1).Max();
        return secondLast < nearestLowerPruningStep;
    }
}
