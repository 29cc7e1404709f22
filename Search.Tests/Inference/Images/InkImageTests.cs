using Mnist.Inference.Images;

namespace Mnist.Search.Tests.Inference.Images;

public sealed class InkImageTests
{
    // Stored pixels a b c / d e f, encoded as 1..6.
    private static readonly InkImage Stored = new(3, 2, [1, 2, 3, 4, 5, 6]);

    [Theory]
    [InlineData(1, 3, new float[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(2, 3, new float[] { 3, 2, 1, 6, 5, 4 })]
    [InlineData(3, 3, new float[] { 6, 5, 4, 3, 2, 1 })]
    [InlineData(4, 3, new float[] { 4, 5, 6, 1, 2, 3 })]
    [InlineData(5, 2, new float[] { 1, 4, 2, 5, 3, 6 })]
    [InlineData(6, 2, new float[] { 4, 1, 5, 2, 6, 3 })]
    [InlineData(7, 2, new float[] { 6, 3, 5, 2, 4, 1 })]
    [InlineData(8, 2, new float[] { 3, 6, 2, 5, 1, 4 })]
    public void WhenAnExifOrientationIsAppliedThenPixelsLandWhereTheyAreDisplayed(int orientation, int width, float[] expected)
    {
        // When
        var upright = Stored.Oriented(orientation);

        // Then
        Assert.Equal(width, upright.Width);
        Assert.Equal(6 / width, upright.Height);
        Assert.Equal(expected, upright.Pixels);
    }

    [Fact]
    public void WhenTheOrientationIsOutOfRangeThenItThrows()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Stored.Oriented(9));
    }
}
