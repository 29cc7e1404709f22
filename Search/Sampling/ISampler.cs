using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Sampling;

/// <summary>
/// Decides what to try next (Optuna's <c>BaseSampler</c>). Samplers keep no state of their own: the
/// coordinator passes the study's history, read from storage, on every call, so any process can resume.
/// </summary>
public interface ISampler
{
    /// <summary>
    /// Called by the coordinator each time it needs a new configuration.
    /// <paramref name="trials"/> is every trial of the study (any state, ordered by number): COMPLETE ones
    /// carry values, RUNNING and WAITING ones are pending points to avoid, PRUNED ones may be used via their
    /// last intermediate value; a trial lacks the parameters its values left out (<see cref="SearchSpace.Conditions"/>).
    /// Returns one internal value (a categorical's index, a number otherwise), inside its distribution, per parameter of
    /// <paramref name="space"/> that is active given the returned values (<see cref="SearchSpace.Active"/>): every
    /// parameter of a space with no condition.
    /// Must be deterministic for the same seed, space and history.
    /// </summary>
    IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials);

    /// <summary>
    /// As <see cref="Sample(SearchSpace, StudyDirection, IReadOnlyList{TrialSnapshot})"/>, stopping with an
    /// <see cref="OperationCanceledException"/> soon after <paramref name="cancellation"/> fires (the coordinator's
    /// Ctrl+C / SIGTERM). A sampler whose proposal is quick need not override it: by default the token is ignored.
    /// The <c>gp</c> sampler's proposal takes seconds on long studies, and a stop during it went unheard until the
    /// process was quit 60 s later, its new trial left RUNNING.
    /// </summary>
    IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials, CancellationToken cancellation) =>
        Sample(space, direction, trials);

    // Implementations override ToString with what they do, in words: the study log records it once at start.
}
