using Mnist.Search.Pruning;

namespace Mnist.Search.Tests.Pruning;

/// <summary>The percentile the median and percentile pruners compare with, as Optuna takes it (numpy's nanpercentile).</summary>
public sealed class QuantileTests
{
    // Each expected value printed by numpy 1.24 (Optuna 4.1's, ../shared/tools/optuna4): np.nanpercentile(values, p).
    [Theory]
    [InlineData(new[] { double.NegativeInfinity, 0.47, 0.56 }, 25, double.NegativeInfinity)] // was NaN: nothing pruned
    [InlineData(new[] { 0.3, double.PositiveInfinity }, 50, double.NaN)]                     // was +inf: everything pruned
    [InlineData(new[] { 1.0, 2, 3, 4 }, 30, 1.9)]
    [InlineData(new[] { double.NegativeInfinity, 0.2, 0.9 }, 75, 0.55)]
    [InlineData(new[] { 0.1, double.PositiveInfinity, double.PositiveInfinity }, 20, double.PositiveInfinity)]
    [InlineData(new[] { 0.5 }, 50, 0.5)]
    public void ThePercentileIsNumpys(double[] values, double percentile, double expected) =>
        Assert.Equal(expected, Quantile.Linear(values, percentile), 12);
}
