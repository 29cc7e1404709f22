using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Sampling;

/// <summary>
/// Independent uniform draws (log parameters uniform in log space, ints uniform over their values), the
/// baseline. The draw for trial i depends only on (seed, number of trials so far), so it is reproducible
/// without state; the history is otherwise ignored. A parameter whose condition the drawn values do not meet is left out.
/// </summary>
public sealed class RandomSampler(int seed = 0) : ISampler
{
    public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials)
    {
        var rng = SamplerRandom.For(seed, trials.Count, salt: 2);
        var u = new double[space.Count];
        for (var p = 0; p < u.Length; p++) u[p] = rng.NextDouble();
        // One draw per parameter, also those the draws of their conditions' parameters leave out: a space with no
        // condition proposes what it did before conditions existed, and each draw stays independent of the others.
        return space.Active(new SpaceEncoder(space).FromUniform(u));
    }

    public override string ToString() => $"random: independent uniform draws, seed {seed}";
}
