using Mnist.Search.Space;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Sampling;

namespace Mnist.Search.Tests.Study;

public sealed class EnqueuedConfigurationTests
{
    private static readonly SearchSpace Space = TrialHistory.Space(("dropout", new FloatDistribution(0, 0.5, Step: 0.1)));

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    public void AValueOnAFloatsStepIsTaken(double dropout)
    {
        Assert.Equal(dropout, EnqueuedConfiguration.ToInternal(Space, new Dictionary<string, object?> { ["dropout"] = dropout })["dropout"]);
    }

    [Fact]
    public void AValueBetweenAFloatsStepsIsRefusedNamingTheStep()
    {
        // (it was queued, and run with a value no sampler of the study could propose and Optuna rejects)
        var e = Assert.Throws<ArgumentException>(() => EnqueuedConfiguration.ToInternal(Space, new Dictionary<string, object?> { ["dropout"] = 0.15 }));
        Assert.Equal("dropout: 0.15 is not a number in [0, 0.5] in steps of 0.1", e.Message);
    }
}
