using Mnist.Search.Pruning;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Pruning;

public sealed class PercentilePrunerTests
{
    private static readonly TrialSnapshot[] Completed =
    [
        SomeTrials.With(TrialState.COMPLETE, 0.90, 0.95, 0.97),
        SomeTrials.With(TrialState.COMPLETE, 0.80, 0.90, 0.93),
        SomeTrials.With(TrialState.COMPLETE, 0.70, 0.85, 0.90),
    ];

    [Fact]
    public void WhenATrialIsBelowTheMedianAtItsEpochItIsPruned()
    {
        // Given a median pruner without startup or warm-up, and a running trial worse than the median at epoch 1
        var pruner = MedianPruner.Create(startupTrials: 0);
        var running = SomeTrials.With(TrialState.RUNNING, 0.75);

        // Then it is pruned when maximizing, and kept when minimizing (where lower is better)
        Assert.True(pruner.ShouldPrune(running, [.. Completed, running], StudyDirection.MAXIMIZE));
        Assert.False(pruner.ShouldPrune(running, [.. Completed, running], StudyDirection.MINIMIZE));
    }

    [Fact]
    public void WhenATrialIsAboveTheMedianItContinues()
    {
        var pruner = MedianPruner.Create(startupTrials: 0);
        var running = SomeTrials.With(TrialState.RUNNING, 0.85);
        Assert.False(pruner.ShouldPrune(running, [.. Completed, running], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void WhenFewerTrialsThanStartupHaveCompletedNothingIsPruned()
    {
        var pruner = MedianPruner.Create(startupTrials: 4);
        var running = SomeTrials.With(TrialState.RUNNING, 0.10);
        Assert.False(pruner.ShouldPrune(running, [.. Completed, running], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void WhenTheTrialIsStillWarmingUpItIsNotPruned()
    {
        // Given warm-up of 2 epochs, a terrible trial continues at epochs 1 and 2, and at epoch 3 it is pruned (as Optuna's
        // n_warmup_steps=2 with epochs reported from step 0; it was pruned at epoch 2, in its warm-up)
        var pruner = MedianPruner.Create(startupTrials: 0, warmupSteps: 2);
        var atEpoch1 = SomeTrials.With(TrialState.RUNNING, 0.10);
        var atEpoch2 = SomeTrials.With(TrialState.RUNNING, 0.10, 0.20);
        var atEpoch3 = SomeTrials.With(TrialState.RUNNING, 0.10, 0.20, 0.30);
        Assert.False(pruner.ShouldPrune(atEpoch1, Completed, StudyDirection.MAXIMIZE));
        Assert.False(pruner.ShouldPrune(atEpoch2, Completed, StudyDirection.MAXIMIZE));
        Assert.True(pruner.ShouldPrune(atEpoch3, Completed, StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void TheBestValueSoFarIsComparedNotTheLatest()
    {
        // Given a trial that was good at epoch 1 and dipped at epoch 2: Optuna compares its best over epochs
        var pruner = MedianPruner.Create(startupTrials: 0);
        var running = SomeTrials.With(TrialState.RUNNING, 0.99, 0.50);
        Assert.False(pruner.ShouldPrune(running, [.. Completed, running], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void ATrialReportingOnlyNaNIsPruned()
    {
        var pruner = MedianPruner.Create(startupTrials: 0);
        var running = SomeTrials.With(TrialState.RUNNING, double.NaN);
        Assert.True(pruner.ShouldPrune(running, Completed, StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void WithAnIntervalOnlyTheFirstReportOfEachIntervalIsJudged()
    {
        var pruner = new PercentilePruner(50, startupTrials: 0, intervalSteps: 2);
        var atEpoch1 = SomeTrials.With(TrialState.RUNNING, 0.10);
        var atEpoch2 = SomeTrials.With(TrialState.RUNNING, 0.10, 0.10);
        var atEpoch3 = SomeTrials.With(TrialState.RUNNING, 0.10, 0.10, 0.10);
        // Epoch e is Optuna's step e - 1 and intervals start at step 0: [0, 2) holds epochs 1 and 2, [2, 4) epochs 3 and 4
        Assert.True(pruner.ShouldPrune(atEpoch1, Completed, StudyDirection.MAXIMIZE));
        Assert.False(pruner.ShouldPrune(atEpoch2, Completed, StudyDirection.MAXIMIZE));
        Assert.True(pruner.ShouldPrune(atEpoch3, Completed, StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void TheNopPrunerNeverPrunes()
    {
        var running = SomeTrials.With(TrialState.RUNNING, double.NaN);
        Assert.False(NopPruner.Instance.ShouldPrune(running, Completed, StudyDirection.MAXIMIZE));
    }

    [Theory]
    [InlineData(-1, 0, 0, 1)]
    [InlineData(101, 0, 0, 1)]
    [InlineData(50, -1, 0, 1)]
    [InlineData(50, 0, -1, 1)]
    [InlineData(50, 0, 0, 0)]
    public void InvalidSettingsAreRejected(double percentile, int startup, int warmup, int interval) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentilePruner(percentile, startup, warmup, interval));
}
