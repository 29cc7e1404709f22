using System.IO.Hashing;
using System.Text;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Pruning;

/// <summary>
/// Hyperband (Optuna's <c>HyperbandPruner</c>): several ASHA brackets, each trial in one of them. Bracket b is a
/// <see cref="SuccessiveHalvingPruner"/> whose first rung is at epoch <c>MinResource · ReductionFactor^b</c>, and it
/// judges a trial only against the trials of its own bracket. Bracket 0 prunes hardest (after
/// <see cref="MinResource"/> epochs); the last never prunes before the full budget. ASHA alone bets that an early score
/// ranks configurations as the full run would; Hyperband hedges that bet with trials that are never cut early.
/// </summary>
/// <remarks>
/// Brackets and their shares are Optuna's, so a study's trials fall into the brackets Optuna 4 would put them in
/// (checked against it by a test): there are <c>⌊log_η(MaxResource / MinResource)⌋ + 1</c> brackets, bracket b gets
/// a share <c>⌈n · η^s / (s + 1)⌉</c> with <c>s = n − 1 − b</c> (the paper's equal budget per bracket), and trial
/// number t goes to the bracket where <c>CRC-32("{study}_{t}")</c> modulo the shares' sum falls. The bracket count is
/// Optuna's floating-point logarithm, rounding and all. Stateless: the bracket is a function of the study's name and
/// the trial's number.
/// </remarks>
public sealed class HyperbandPruner : IPruner
{
    private readonly string _study;
    private readonly SuccessiveHalvingPruner[] _brackets;
    private readonly int[] _shares;
    private readonly int _allShares;

    public HyperbandPruner(string study, int minResource, int maxResource, int reductionFactor = 3)
    {
        if (minResource < 1) throw new ArgumentOutOfRangeException(nameof(minResource), minResource, "must be >= 1");
        if (maxResource < minResource) throw new ArgumentOutOfRangeException(nameof(maxResource), maxResource, $"must be >= min resource ({minResource})");
        if (reductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(reductionFactor), reductionFactor, "must be >= 2");
        _study = study;
        MinResource = minResource;
        MaxResource = maxResource;
        ReductionFactor = reductionFactor;
        // Optuna's floating-point logarithm, rounding included: at an exact power whose logarithm rounds down (η 3 over
        // 1..243 epochs: log₃ 243 = 4.999…) Optuna counts one bracket fewer than exact arithmetic, and so does this, so
        // trials fall into Optuna's brackets there too (counted in integers, they did not).
        var count = (int)Math.Floor(Math.Log((double)maxResource / minResource, reductionFactor)) + 1;
        _brackets = [.. Enumerable.Range(0, count).Select(b => new SuccessiveHalvingPruner(minResource, reductionFactor, b))];
        _shares = [.. Enumerable.Range(0, count).Select(b => Share(count, count - 1 - b, reductionFactor))];
        _allShares = _shares.Sum();
    }

    public int MinResource { get; }
    public int MaxResource { get; }
    public int ReductionFactor { get; }

    /// <summary>How many brackets there are.</summary>
    public int Brackets => _brackets.Length;

    /// <summary>The bracket trial number <paramref name="trialNumber"/> belongs to (0 prunes hardest).</summary>
    public int BracketOf(int trialNumber)
    {
        var n = (long)(Crc32.HashToUInt32(Encoding.UTF8.GetBytes($"{_study}_{trialNumber}")) % (uint)_allShares);
        for (var b = 0; b < _shares.Length; b++)
            if ((n -= _shares[b]) < 0) return b;
        throw new InvalidOperationException("unreachable: the shares sum to the modulus");
    }

    /// <summary>The epoch at which bracket <paramref name="bracket"/> first judges its trials.</summary>
    public int FirstRung(int bracket) => MinResource * (int)Math.Pow(ReductionFactor, bracket);

    public bool ShouldPrune(TrialSnapshot trial, IReadOnlyList<TrialSnapshot> trials, StudyDirection direction)
    {
        var bracket = BracketOf(trial.Number);
        return _brackets[bracket].ShouldPrune(trial, [.. trials.Where(t => BracketOf(t.Number) == bracket)], direction);
    }

    /// <summary>The rung of the trial's own bracket (<see cref="BracketOf"/>) that <paramref name="step"/> completes, as
    /// Optuna's <c>HyperbandPruner</c> records it: each bracket a successive-halving pruner, its rungs counted from 0.</summary>
    public int? RungAt(int trialNumber, int step) => _brackets[BracketOf(trialNumber)].RungAt(trialNumber, step);

    public override string ToString() =>
        $"Hyperband over epochs {MinResource}–{MaxResource}, 1/{ReductionFactor} continue at a rung: " + string.Join("; ", Enumerable.Range(0, Brackets)
            .Select(b => $"bracket {b} ({_shares[b]}/{_allShares} of trials) " + (FirstRung(b) < MaxResource ? $"judged from epoch {FirstRung(b)}" : "never pruned")));

    private static int Share(int brackets, int s, int reductionFactor) =>
        (int)Math.Ceiling(brackets * Math.Pow(reductionFactor, s) / (s + 1));
}
