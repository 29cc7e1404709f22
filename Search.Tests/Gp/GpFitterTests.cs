using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class GpFitterTests
{
    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.2)]
    public void WhenObservationsAreNoisyThenTheFittedNoiseVarianceIsTheTrueOne(double noiseSd)
    {
        // Given a smooth 2-D function observed at 80 points with Gaussian noise of known sd
        var rng = new Random(11);
        var x = Enumerable.Range(0, 80).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(3 * p[0]) + Math.Cos(2 * p[1]) + noiseSd * Normal(rng)).ToArray();

        // When the hyperparameters are fitted
        var fitted = GpFitter.Fit(x, y, new Random(3));

        // Then the learned noise variance is within a factor 2 of the truth (80 residuals pin it down to about ±30 %)
        var truth = noiseSd * noiseSd;
        Assert.InRange(fitted.NoiseVariance, truth / 2, truth * 2);
    }

    [Fact]
    public void WhenObservationsAreExactThenTheFittedNoiseVarianceIsNegligible()
    {
        // Given the same function observed without noise
        var rng = new Random(11);
        var x = Enumerable.Range(0, 40).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(3 * p[0]) + Math.Cos(2 * p[1])).ToArray();

        // When fitted
        var fitted = GpFitter.Fit(x, y, new Random(3));

        // Then the noise is far below the smallest noise of the noisy case, so the GP interpolates
        Assert.True(fitted.NoiseVariance < 1e-4, $"noise variance {fitted.NoiseVariance}");
    }
}
