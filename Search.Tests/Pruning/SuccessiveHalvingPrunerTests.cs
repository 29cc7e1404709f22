using Mnist.Search.Pruning;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Pruning;

public sealed class SuccessiveHalvingPrunerTests
{
    [Fact]
    public void TheFirstTrialToReachARungIsAlwaysPromoted()
    {
        var pruner = new SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3);
        var only = SomeTrials.With(TrialState.RUNNING, 0.10);
        Assert.False(pruner.ShouldPrune(only, [only], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void OnlyTheTopThirdAtARungContinues()
    {
        // Given five trials that reached rung 0 (epoch 1) with known values
        var pruner = new SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3);
        var others = new[] { 0.90, 0.80, 0.70, 0.60, 0.50 }
            .Select(v => SomeTrials.With(TrialState.COMPLETE, v, v)).ToList();

        // When a sixth arrives: top 6/3 = 2 values are promotable, so it must beat the second best (0.80)
        var good = SomeTrials.With(TrialState.RUNNING, 0.85);
        var bad = SomeTrials.With(TrialState.RUNNING, 0.75);

        // Then
        Assert.False(pruner.ShouldPrune(good, [.. others, good], StudyDirection.MAXIMIZE));
        Assert.True(pruner.ShouldPrune(bad, [.. others, bad], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void BetweenRungsNothingIsPruned()
    {
        // Rungs at epochs 1, 3, 9 (min resource 1, factor 3): epoch 2 is not a rung
        var pruner = new SuccessiveHalvingPruner(minResource: 1, reductionFactor: 3);
        var others = Enumerable.Range(0, 6).Select(_ => SomeTrials.With(TrialState.COMPLETE, 0.9, 0.95, 0.97)).ToList();
        var running = SomeTrials.With(TrialState.RUNNING, 0.95, 0.10);
        Assert.False(pruner.ShouldPrune(running, [.. others, running], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void WhenMinimizingLowerValuesArePromoted()
    {
        var pruner = new SuccessiveHalvingPruner(minResource: 2, reductionFactor: 2);
        var others = new[] { 0.1, 0.2, 0.3 }.Select(v => SomeTrials.With(TrialState.COMPLETE, 1.0, v)).ToList();
        var worse = SomeTrials.With(TrialState.RUNNING, 1.0, 0.25);
        var better = SomeTrials.With(TrialState.RUNNING, 1.0, 0.15);
        Assert.True(pruner.ShouldPrune(worse, [.. others, worse], StudyDirection.MINIMIZE));
        Assert.False(pruner.ShouldPrune(better, [.. others, better], StudyDirection.MINIMIZE));
    }
}
