using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Retraining;

/// <summary>
/// The trial whose configuration the retrain trains: the COMPLETE trial with the best GP posterior mean
/// (<see cref="GpSampler.Recommend"/>) once <see cref="MinCompleteTrials"/> trials completed, otherwise the
/// best value (<see cref="BestTrial"/>). On MNIST at 2 epochs one configuration's seeds spread 0.5–2 pp
/// (issue 9), so the best single value is often a lucky seed of an average configuration; the posterior
/// mean weighs each trial with its neighbours. Noise-free, the two agree.
/// </summary>
public static class RetrainChoice
{
    /// <summary>Below this many complete trials the GP cannot tell noise from signal in the product's 8-D space.</summary>
    public const int MinCompleteTrials = 6;

    public static TrialSnapshot? Of(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials, int seed)
    {
        var best = BestTrial.Of(trials, direction);
        if (best is null || space.Count == 0) return best;
        var gp = new GpSampler(new SamplerSettings(SamplerSettings.Gp, MinCompleteTrials, seed));
        return gp.Recommend(space, direction, trials) is { } number ? trials.First(t => t.Number == number) : best;
    }
}
