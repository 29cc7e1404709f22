using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class SlicedLatinHypercubeTests
{
    [Fact]
    public void WhenDesignedThenEveryChoiceIsTriedEquallyOftenAndMeetsEveryStratumOfTheOtherDimensions()
    {
        // Given 12 points in a space of two continuous dimensions and one categorical of 3 choices
        var design = SlicedLatinHypercube.Design(12, [0, 0, 3], new Random(4));

        // Then each choice has 4 points, and within each choice either continuous dimension has one point per quarter
        var slices = design.GroupBy(p => (int)(p[2] * 3)).ToList();
        Assert.Equal(3, slices.Count);
        foreach (var slice in slices)
        {
            Assert.Equal(4, slice.Count());
            Assert.All(slice, p => Assert.Equal((slice.Key + 0.5) / 3, p[2], 12));
            for (var d = 0; d < 2; d++)
                Assert.Equal([0, 1, 2, 3], slice.Select(p => (int)(p[d] * 4)).Order().ToArray());
        }
    }

    [Fact]
    public void WhenTheCountIsNotAMultipleOfTheChoicesThenTheChoicesDifferByAtMostOne()
    {
        // Given 7 points and a categorical of 3 choices
        var design = SlicedLatinHypercube.Design(7, [3, 0], new Random(1));

        // Then its choices are taken 3, 2 and 2 times (in some order), and every coordinate lies in [0, 1)
        var counts = design.GroupBy(p => (int)(p[0] * 3)).Select(g => g.Count()).Order().ToArray();
        Assert.Equal([2, 2, 3], counts);
        Assert.All(design, p => Assert.All(p, v => Assert.InRange(v, 0.0, 1.0 - 1e-15)));
    }

    [Fact]
    public void WhenDrawnTwiceFromOneSeedThenTheDesignIsTheSame()
    {
        var a = SlicedLatinHypercube.Design(12, [0, 3, 0], new Random(9));
        var b = SlicedLatinHypercube.Design(12, [0, 3, 0], new Random(9));
        Assert.Equal(a.SelectMany(p => p), b.SelectMany(p => p));
    }
}
