using Mnist.Inference.Images;

namespace Mnist.Search.Tests.Inference.Images;

public sealed class ResamplerTests
{
    [Theory]
    [InlineData(124, 20)]
    [InlineData(7, 20)]
    [InlineData(20, 20)]
    [InlineData(3, 1)]
    public void WhenWeightsAreBuiltThenEachOutputsWeightsSumToOneAndStayInRange(int source, int target)
    {
        // When
        var weights = Resampler.Weights(source, target);

        // Then
        Assert.Equal(target, weights.Length);
        Assert.All(weights, w =>
        {
            Assert.Equal(1f, w.Sum(p => p.Weight), 5);
            Assert.All(w, p => Assert.InRange(p.Index, 0, source - 1));
        });
    }

    [Fact]
    public void WhenShrinkingByTwoThenEachOutputIsTheMeanOfTwoByTwoPixels()
    {
        // Given
        var image = new InkImage(4, 2, [1, 0, 0, 0, 1, 0, 1, 1]);

        // When
        var half = Resampler.Resize(image, 2, 1);

        // Then
        Assert.Equal([0.5f, 0.5f], half.Pixels);
    }

    [Fact]
    public void WhenGrowingThenValuesAreInterpolatedBetweenNeighbours()
    {
        // Given
        var image = new InkImage(2, 1, [0, 1]);

        // When
        var grown = Resampler.Resize(image, 4, 1);

        // Then: centres at 0.25, 0.75, 1.25, 1.75 source px → clamp, 0.25, 0.75, clamp
        Assert.Equal([0f, 0.25f, 0.75f, 1f], grown.Pixels);
    }
}
