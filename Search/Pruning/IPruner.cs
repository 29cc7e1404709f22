using Mnist.Search.Vocabulary;

namespace Mnist.Search.Pruning;

/// <summary>
/// Decides whether a running trial should stop early (Optuna's <c>BasePruner</c>). Called by the
/// coordinator each time the trial reports an intermediate value (one per epoch).
/// </summary>
public interface IPruner
{
    /// <summary>
    /// True when <paramref name="trial"/> (RUNNING, with its latest intermediate value already stored) should
    /// be pruned, judged against <paramref name="trials"/>: every trial of the study but the FAIL trials that were queued
    /// again (each retry stands in for its interrupted first run, as in the budget).
    /// Keeps no state: everything it needs is in the trials.
    /// </summary>
    bool ShouldPrune(TrialSnapshot trial, IReadOnlyList<TrialSnapshot> trials, StudyDirection direction);

    /// <summary>
    /// The rung (counted from 0, as Optuna's <c>SuccessiveHalvingPruner</c> counts them) that trial
    /// <paramref name="trialNumber"/> completes by reporting <paramref name="step"/>, or null: the coordinator records its
    /// value there as <see cref="StudyAttributes.CompletedRung"/>, which Optuna's successive-halving and Hyperband
    /// pruners in another client read as the trial's rivals (they read nothing else).
    /// </summary>
    int? RungAt(int trialNumber, int step) => null;

    // Implementations override ToString with what they do, in words: the study log records it once at start.
}
