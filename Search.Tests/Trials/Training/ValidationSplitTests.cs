using Mnist.Trials.Training;

namespace Mnist.Search.Tests.Trials.Training;

public sealed class ValidationSplitTests
{
    [Fact]
    public void WhenSplitThenValidationAndTrainingAreDisjointAndFixedBySeed()
    {
        // When
        var a = ValidationSplit.Create(1000, validation: 200, trainSubset: null, seed: 5);
        var b = ValidationSplit.Create(1000, validation: 200, trainSubset: null, seed: 5);
        var c = ValidationSplit.Create(1000, validation: 200, trainSubset: null, seed: 6);

        // Then
        Assert.Equal(200, a.ValidationIndices.Length);
        Assert.Equal(800, a.TrainIndices.Length);
        Assert.Empty(a.TrainIndices.Intersect(a.ValidationIndices));
        Assert.Equal(a.ValidationIndices, b.ValidationIndices);
        Assert.NotEqual(a.ValidationIndices, c.ValidationIndices);
    }

    [Fact]
    public void WhenATrainSubsetIsGivenThenOnlyThatManyTrainingRowsRemainAndValidationIsUnchanged()
    {
        // When
        var full = ValidationSplit.Create(1000, 100, null, seed: 1);
        var subset = ValidationSplit.Create(1000, 100, 250, seed: 1);

        // Then
        Assert.Equal(250, subset.TrainIndices.Length);
        Assert.Equal(full.ValidationIndices, subset.ValidationIndices);
        Assert.Subset(full.TrainIndices.ToHashSet(), subset.TrainIndices.ToHashSet());
    }

    [Fact]
    public void WhenValidationTakesEverythingThenItIsRejected()
    {
        // Then
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.Create(100, 100, null, 1));
    }
}
