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

    /// <summary>A nested condition, which the table has none of: c is read when b ≥ 2, b when a = "x".</summary>
    private static readonly SearchSpace Nested = TrialHistory.Space(
            ("a", new CategoricalDistribution(["x", "y"])), ("b", new IntDistribution(1, 3)), ("c", new IntDistribution(1, 3))) with
    {
        Conditions = new Dictionary<string, UsedWhen> { ["b"] = new("a", Is: "x"), ["c"] = new("b", AtLeast: 2) },
    };

    [Fact]
    public void AChildOfAnInactiveParentIsInactiveWhateverTheParentsValue()
    {
        // Given values where b meets c's condition, with a = "x" (b read) and a = "y" (b not read)
        var read = new Dictionary<string, double> { ["a"] = 0, ["b"] = 3, ["c"] = 1 };
        var unread = new Dictionary<string, double> { ["a"] = 1, ["b"] = 3, ["c"] = 1 };

        // When activity is decided, Then c follows b only while b itself is active
        Assert.True(Nested.IsActive("c", read));
        Assert.False(Nested.IsActive("c", unread));
        Assert.Equal(["a", "b", "c"], Nested.Active(read).Keys.Order());
        Assert.Equal(["a"], Nested.Active(unread).Keys);
    }

    [Fact]
    public void PartialValuesLeaveOutOnlyWhatTheyAlreadyDecide()
    {
        // Given partial values (an enqueued configuration), When asked what they leave out
        // Then a = "y" leaves out b and, through it, c; b = 1 leaves out c; with a open, b = 3 leaves nothing out
        Assert.True(Nested.IsLeftOut("c", new Dictionary<string, double> { ["a"] = 1 }));
        Assert.True(Nested.IsLeftOut("c", new Dictionary<string, double> { ["b"] = 1 }));
        Assert.False(Nested.IsLeftOut("c", new Dictionary<string, double> { ["b"] = 3 }));
        Assert.False(Nested.IsLeftOut("c", new Dictionary<string, double>()));
    }

    [Fact]
    public void GivenValuesDecideActivityOfAProposal()
    {
        // Given a proposal whose own a ("y") leaves b and c out, and a space with a given as "x"
        var space = Nested with { Given = new Dictionary<string, double> { ["a"] = 0 } };

        // When its active values are taken, Then it keeps b and c with its own draws, and a takes the given value
        var active = space.Active(new Dictionary<string, double> { ["a"] = 1, ["b"] = 2, ["c"] = 3 });
        Assert.Equal(new Dictionary<string, double> { ["a"] = 0, ["b"] = 2, ["c"] = 3 }, active);
    }

    [Fact]
    public void ACycleOfConditionsEndsAsInactiveInsteadOfRecursingForever()
    {
        // Given a needs b ≥ 1 and b needs a ≥ 1 (never in the table)
        var cycle = TrialHistory.Space(("a", new IntDistribution(1, 3)), ("b", new IntDistribution(1, 3))) with
        {
            Conditions = new Dictionary<string, UsedWhen> { ["a"] = new("b", AtLeast: 1), ["b"] = new("a", AtLeast: 1) },
        };
        var values = new Dictionary<string, double> { ["a"] = 2, ["b"] = 2 };

        // When activity is decided, Then both are inactive and nothing is left out (each has a value that meets its condition)
        Assert.False(cycle.IsActive("a", values));
        Assert.Empty(cycle.Active(values));
        Assert.False(cycle.IsLeftOut("a", values));
    }
}
