using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class NormalScoresTests
{
    [Fact]
    public void ScoresKeepTheOrderAreSymmetricAndIgnoreHowFarAnOutlierIs()
    {
        // Given values with one far outlier, and the same values with the outlier merely last
        double[] far = [0.97, 0.98, 0.95, -40.0, 0.96];
        double[] near = [0.97, 0.98, 0.95, 0.90, 0.96];

        // When scored
        var a = NormalScores.Of(far);
        var b = NormalScores.Of(near);

        // Then both get the same scores: the order's normal quantiles at (rank + 1/2) / n, symmetric around 0
        Assert.Equal(b, a);
        Assert.Equal(0.0, a[4], 12);
        Assert.Equal(-a[1], a[3], 12);
        Assert.Equal(-a[2], a[0], 12);
        Assert.Equal(MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 4.5 / 5), a[1], 12);
        Assert.True(a[3] < a[2] && a[2] < a[4] && a[4] < a[0] && a[0] < a[1]);
    }

    [Fact]
    public void TiedValuesShareTheirMeanRanksScore()
    {
        // Given two ties among four values
        double[] values = [1.0, 2.0, 2.0, 3.0];

        // When scored
        var s = NormalScores.Of(values);

        // Then the tied pair sits at the middle rank (1.5 → quantile 0.5 → 0), the ends are symmetric
        Assert.Equal(0.0, s[1], 12);
        Assert.Equal(0.0, s[2], 12);
        Assert.Equal(-s[0], s[3], 12);
    }
}
