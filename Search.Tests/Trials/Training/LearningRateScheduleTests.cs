using Mnist.Trials.Training;

namespace Mnist.Search.Tests.Trials.Training;

public sealed class LearningRateScheduleTests
{
    [Fact]
    public void WhenCosineThenTheRateFallsFromBaseToNearZeroOverTheRun()
    {
        // Given 2 epochs of 10 steps
        var s = new LearningRateSchedule("cosine", 0.1, 1, 0.5, Epochs: 2, StepsPerEpoch: 10);

        // Then
        Assert.Equal(0.1, s.RateAt(1, 0), 12);
        Assert.Equal(0.05, s.RateAt(2, 0), 12);
        Assert.True(s.RateAt(2, 9) < 0.002);
        Assert.True(s.RateAt(1, 5) > s.RateAt(1, 6));
    }

    [Fact]
    public void WhenStepThenTheRateIsMultipliedByGammaEveryStepSizeEpochs()
    {
        // Given
        var s = new LearningRateSchedule("step", 0.1, StepSize: 2, Gamma: 0.5, Epochs: 6, StepsPerEpoch: 10);

        // Then
        Assert.Equal(new[] { 0.1, 0.1, 0.05, 0.05, 0.025 }, Enumerable.Range(1, 5).Select(e => s.RateAt(e, 3)));
    }

    [Fact]
    public void WhenNoneThenTheRateIsConstant()
    {
        var s = new LearningRateSchedule("none", 0.01, 1, 0.5, 3, 10);
        Assert.All(Enumerable.Range(1, 3), e => Assert.Equal(0.01, s.RateAt(e, 7)));
    }
}
