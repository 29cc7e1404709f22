namespace Mnist.Search.Pruning;

/// <summary>
/// Prunes a trial whose best intermediate value is worse than the median of the completed trials at the
/// same epoch: a <see cref="PercentilePruner"/> at 50, as Optuna's <c>MedianPruner</c> is.
/// </summary>
public static class MedianPruner
{
    public static PercentilePruner Create(int startupTrials = 5, int warmupSteps = 0, int intervalSteps = 1) =>
        new(50, startupTrials, warmupSteps, intervalSteps);
}
