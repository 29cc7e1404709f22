using Mnist.Protocol.Hyperparameters;
using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;

namespace Mnist.Search.Tests.Space;

/// <summary><see cref="SearchSpace"/>'s conditions alone: which parameters given values make active or leave out.</summary>
public sealed class SearchSpaceConditionTests
{
    [Fact]
    public void ACategoricalParentValuePastItsChoicesMeetsNoConditionAndThrowsNothing()
    {
        // Given momentum declared before its categorical parent optimizer [adam, sgd], and values whose optimizer is an
        // index past the choices (a foreign client's trial)
        var space = TrialHistory.Space(("momentum", new FloatDistribution(0, 0.999)), ("optimizer", new CategoricalDistribution(["adam", "sgd"]))).FromTable();
        var values = new Dictionary<string, double> { ["optimizer"] = 2 };

        // When the gp asks whether the values cover the space, and whether they leave momentum out or active
        // Then they do not cover it, momentum is left out and inactive, and nothing threw IndexOutOfRange
        Assert.False(new SpaceEncoder(space).Covers(values));
        Assert.True(space.IsLeftOut("momentum", values));
        Assert.False(space.IsActive("momentum", values));
    }
}
