using Mnist.Trials.Training;

namespace Mnist.Search.Tests.Trials.Training;

public sealed class EpochBudgetTests
{
    [Theory]
    // planned, done, seconds of the epochs so far, seconds elapsed (start-up included), budget -> epochs to plan
    [InlineData(20, 1, 30, 32, 600, 19)] // 19 more epochs of 30 s fit in the 568 s left: 1 + 18 = 19
    [InlineData(20, 1, 25, 27, 600, 20)] // 22 more would fit: the plan stays
    [InlineData(20, 5, 150, 160, 300, 9)] // 30 s per epoch, 140 s left: 4 more
    [InlineData(20, 5, 150, 400, 300, 5)] // already over: stop now, never below the epochs run
    [InlineData(20, 20, 600, 610, 300, 20)] // the run is over
    [InlineData(3, 1, 0, 1, 10, 3)] // no time measured: keep the plan
    public void WhenTheEpochsSoFarAreTimedThenThePlanIsWhatStillFits(int planned, int done, double epochSeconds, double elapsed, double budget, int expected)
    {
        Assert.Equal(expected, EpochBudget.Fit(planned, done, epochSeconds, elapsed, budget));
    }

    [Fact]
    public void WhenReplannedThenTheCosineReachesItsEndAtTheNewLastEpoch()
    {
        // Given a 10-epoch cosine cut to 4 epochs after the first
        var s = new LearningRateSchedule("cosine", 0.1, 1, 0.5, Epochs: 10, StepsPerEpoch: 10);
        var cut = s with { Epochs = 4 };

        // Then the rate is halfway at epoch 3 and near zero at the last step of epoch 4
        Assert.Equal(0.05, cut.RateAt(3, 0), 12);
        Assert.True(cut.RateAt(4, 9) < 0.001);
        Assert.True(s.RateAt(4, 9) > 0.05);
    }
}
