using Mnist.Search.Vocabulary;

namespace Mnist.Search.Pruning;

/// <summary>
/// Asynchronous successive halving (ASHA; Optuna's <c>SuccessiveHalvingPruner</c>). Rung r is reached at
/// epoch <c>MinResource · ReductionFactor^r</c>; a trial reaching a rung continues only if its value there
/// is within the top 1/<see cref="ReductionFactor"/> of all trials' values at that rung so far (at least
/// one is always promoted). Decisions are asynchronous: a trial is judged against whatever has reached
/// the rung before it, never waiting for a full bracket.
/// </summary>
/// <remarks>
/// Optuna stores each trial's rung value as a system attribute (<c>completed_rung_r</c>), and the coordinator writes it
/// too (<see cref="RungAt"/>) for Optuna clients; every worker here reports every epoch, so the value at a rung is just
/// the intermediate value at the rung's epoch and this pruner reads that, staying stateless.
/// </remarks>
public sealed class SuccessiveHalvingPruner : IPruner
{
    public SuccessiveHalvingPruner(int minResource = 1, int reductionFactor = 3, int minEarlyStoppingRate = 0)
    {
        if (minResource < 1) throw new ArgumentOutOfRangeException(nameof(minResource), minResource, "must be >= 1");
        if (reductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(reductionFactor), reductionFactor, "must be >= 2");
        if (minEarlyStoppingRate < 0) throw new ArgumentOutOfRangeException(nameof(minEarlyStoppingRate), minEarlyStoppingRate, "must be >= 0");
        MinResource = minResource;
        ReductionFactor = reductionFactor;
        MinEarlyStoppingRate = minEarlyStoppingRate;
    }

    public int MinResource { get; }
    public int ReductionFactor { get; }
    public int MinEarlyStoppingRate { get; }

    public bool ShouldPrune(TrialSnapshot trial, IReadOnlyList<TrialSnapshot> trials, StudyDirection direction)
    {
        if (trial.LastIntermediate is not { } last) return false;
        var maximize = direction == StudyDirection.MAXIMIZE;
        for (var rung = 0; ; rung++)
        {
            var rungStep = RungStep(rung);
            if (last.Step < rungStep) return false;
            // Judge only the rung this report just reached; earlier rungs were judged at their own epochs.
            if (!trial.IntermediateValues.TryGetValue(rungStep, out var value)) continue;
            if (rungStep != last.Step) continue;
            if (double.IsNaN(value)) return true;

            var competing = trials
                .Where(t => t.Id != trial.Id && t.State != TrialState.WAITING)
                .Select(t => t.IntermediateValues.TryGetValue(rungStep, out var v) ? v : double.NaN)
                .Where(v => !double.IsNaN(v))
                .Append(value)
                .OrderBy(v => v)
                .ToList();
            var promotable = Math.Max(competing.Count / ReductionFactor - 1, 0);
            return maximize ? competing[^(promotable + 1)] > value : value > competing[promotable];
        }
    }

    /// <summary>The rung whose epoch <paramref name="step"/> is (<see cref="RungStep"/>), counted from 0 as Optuna counts a
    /// pruner's rungs (its <c>min_early_stopping_rate</c> shifts their epochs, not their numbers); null between rungs.</summary>
    public int? RungAt(int trialNumber, int step)
    {
        for (var rung = 0; rung < 31 && RungStep(rung) <= step; rung++)
            if (RungStep(rung) == step) return rung;
        return null;
    }

    public override string ToString() =>
        $"ASHA: rungs at epochs {string.Join(", ", Enumerable.Range(0, 3).Select(RungStep))}, …; the top 1/{ReductionFactor} at a rung continue";

    private int RungStep(int rung) => MinResource * (int)Math.Pow(ReductionFactor, MinEarlyStoppingRate + rung);
}
