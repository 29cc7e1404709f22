using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class ScrambledHaltonTests
{
    [Fact]
    public void WhenDrawingThePointsOfOneBasePowerThenEachStratumHoldsOnePoint()
    {
        // Given dimension 2 uses base 5: the first 25 points put one point in each 1/25 slice of that axis
        var halton = new ScrambledHalton(3, new Random(7));
        var slices = Enumerable.Range(0, 25).Select(i => (int)(halton.Point(i)[2] * 25)).Order();
        Assert.Equal(Enumerable.Range(0, 25), slices);
    }

    [Fact]
    public void WhenTheRngSeedIsTheSameThenPointsRepeatAndOtherwiseDiffer()
    {
        var a = new ScrambledHalton(4, new Random(1)).Point(10);
        var b = new ScrambledHalton(4, new Random(1)).Point(10);
        var c = new ScrambledHalton(4, new Random(2)).Point(10);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a, v => Assert.InRange(v, 0.0, 1.0));
    }
}
