using MathNet.Numerics;
using MathNet.Numerics.Distributions;
using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class LogExpectedImprovementTests
{
    [Theory]
    [InlineData(3.0)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    [InlineData(-0.9)]
    [InlineData(-1.5)]
    [InlineData(-4.0)]
    [InlineData(-8.0)]
    public void WhenZIsModerateThenLogHMatchesTheDirectFormula(double z)
    {
        // Given h(z) = φ(z) + zΦ(z), computed directly (accurate for moderate z)
        var direct = Normal.PDF(0, 1, z) + z * Normal.CDF(0, 1, z);

        // When / Then
        Assert.Equal(Math.Log(direct), LogExpectedImprovement.LogH(z), 6);
    }

    [Fact]
    public void WhenZIsVeryNegativeThenLogHIsFiniteMonotoneAndFollowsTheAsymptote()
    {
        // Given z far in the tail, where h(z) underflows to 0
        double[] zs = [-20, -40, -100, -1e4, -1e8, -1e12];

        // When
        var values = zs.Select(LogExpectedImprovement.LogH).ToArray();

        // Then every value is finite, decreasing, and close to −z²/2 − log√(2π) − 2 log|z|
        Assert.All(values, v => Assert.True(double.IsFinite(v)));
        for (var i = 1; i < values.Length; i++) Assert.True(values[i] < values[i - 1]);
        for (var i = 0; i < zs.Length; i++)
        {
            var asymptote = -0.5 * zs[i] * zs[i] - 0.5 * Math.Log(2 * Math.PI) - 2 * Math.Log(-zs[i]);
            Assert.True(Math.Abs(values[i] - asymptote) < 3.0 / (zs[i] * zs[i]) + 1e-9 * Math.Abs(asymptote), $"z={zs[i]}");
        }
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(-0.5)]
    [InlineData(-3.0)]
    [InlineData(-30.0)]
    public void WhenDifferentiatedThenDLogHMatchesFiniteDifferences(double z)
    {
        var numeric = (LogExpectedImprovement.LogH(z + 1e-6) - LogExpectedImprovement.LogH(z - 1e-6)) / 2e-6;
        Assert.True(Math.Abs(numeric - LogExpectedImprovement.DLogH(z)) < 1e-5 * Math.Max(1, Math.Abs(numeric)));
    }

    [Fact]
    public void WhenErfcxIsEvaluatedAcrossTheSeriesSwitchThenItIsContinuous()
    {
        var below = LogExpectedImprovement.Erfcx(25.0 - 1e-9);
        var above = LogExpectedImprovement.Erfcx(25.0);
        Assert.True(Math.Abs(below / above - 1) < 1e-10);
        Assert.Equal(Math.Exp(4.0) * SpecialFunctions.Erfc(2.0), LogExpectedImprovement.Erfcx(2.0), 12);
    }

    [Fact]
    public void WhenAtAnObservedPointWithZeroNoiseThenLogEiIsVeryNegative()
    {
        // Given a noiseless GP whose incumbent is the best observation
        var x = new[] { new[] { 0.2 }, new[] { 0.5 }, new[] { 0.9 } };
        var y = new[] { 0.4, -1.0, 0.7 };
        var gp = new GaussianProcess(x, y, new KernelParameters([10.0], 1.0, 1e-10));
        var acquisition = new LogEiAcquisition(gp, y.Min());

        // When / Then: no improvement is possible where the value is already known
        foreach (var p in x) Assert.True(acquisition.Value(p) < -10, $"log EI at {p[0]} = {acquisition.Value(p)}");
        // ...while next to the incumbent, where the GP is unsure, improvement is plausible.
        Assert.True(acquisition.Value([0.6]) > -6, $"log EI at 0.6 = {acquisition.Value([0.6])}");
    }
}
