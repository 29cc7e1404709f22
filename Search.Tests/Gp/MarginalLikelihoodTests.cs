using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class MarginalLikelihoodTests
{
    [Fact]
    public void WhenDifferentiatedThenGradientMatchesFiniteDifferences()
    {
        // Given random 3-D data and parameters away from the bounds
        var rng = new Random(5);
        var x = Enumerable.Range(0, 15).Select(_ => new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(4 * p[0]) + p[1] * p[1] - p[2]).ToArray();
        double[] theta = [Math.Log(2.0), Math.Log(0.5), Math.Log(5.0), Math.Log(1.3), Math.Log(0.01)];

        // When the analytic gradient is computed, Then it matches central differences
        AssertGradientMatchesCentralDifferences(x, y, theta, groups: null);
    }

    private static void AssertGradientMatchesCentralDifferences(double[][] x, double[] y, double[] theta, int[]? groups)
    {
        var gradient = new double[theta.Length];
        MarginalLikelihood.Evaluate(x, y, theta, gradient, groups: groups);
        for (var i = 0; i < theta.Length; i++)
        {
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            var scratch = new double[theta.Length];
            var numeric = (MarginalLikelihood.Evaluate(x, y, plus, scratch, groups: groups) - MarginalLikelihood.Evaluate(x, y, minus, scratch, groups: groups)) / 2e-6;
            Assert.True(Math.Abs(numeric - gradient[i]) < 1e-4 * Math.Max(1, Math.Abs(numeric)), $"θ[{i}]: analytic {gradient[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void WhenObservationsAreGroupedThenTheGradientIncludingTheGroupNoiseMatchesFiniteDifferences()
    {
        // Given 5 groups of 3 points (a trial's epochs) and parameters with a shared noise term
        var rng = new Random(6);
        var x = Enumerable.Range(0, 15).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(4 * p[0]) + p[1]).ToArray();
        var groups = Enumerable.Range(0, 15).Select(i => i / 3).ToArray();
        double[] theta = [Math.Log(2.0), Math.Log(0.5), Math.Log(1.3), Math.Log(0.01), Math.Log(0.05)];

        // When the analytic gradient is computed, Then it matches central differences, the group noise's entry included
        AssertGradientMatchesCentralDifferences(x, y, theta, groups);
    }

    [Fact]
    public void WhenEveryGroupSharesAnOffsetThenTheFitReadsItAsGroupNoiseNotAsSignal()
    {
        // Given 12 groups of 3 nearby points (a trial's epochs), each group shifted by its own offset (a lucky or
        // unlucky seed) on top of a gentle trend
        var rng = new Random(8);
        var x = new List<double[]>();
        var y = new List<double>();
        var groups = new List<int>();
        for (var g = 0; g < 12; g++)
        {
            var centre = rng.NextDouble();
            var offset = 0.5 * (rng.NextDouble() * 2 - 1);
            for (var e = 0; e < 3; e++)
            {
                var p = Math.Clamp(centre + 0.01 * e, 0, 1);
                x.Add([p]);
                y.Add(p + offset + 0.01 * (rng.NextDouble() - 0.5));
                groups.Add(g);
            }
        }

        // When the hyperparameters are fitted with the groups
        var fitted = GpFitter.Fit(x.ToArray(), y.ToArray(), new Random(1), groups: groups);

        // Then the shared part is read as group noise, far larger than the per-point noise
        Assert.True(fitted.Grouped);
        Assert.True(fitted.SharedVariance > 10 * fitted.NoiseVariance, $"group {fitted.SharedVariance}, point {fitted.NoiseVariance}");
    }

    [Fact]
    public void WhenFittedThenLikelihoodIsNoWorseThanAtTheDefaultParameters()
    {
        // Given a smooth 2-D function sampled at 25 points
        var rng = new Random(1);
        var x = Enumerable.Range(0, 25).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(6 * p[0]) * Math.Cos(3 * p[1])).ToArray();

        // When the hyperparameters are fitted
        var fitted = GpFitter.Fit(x, y, new Random(2));

        // Then the objective improved on the starting point
        var g = new double[4];
        var atDefault = MarginalLikelihood.Evaluate(x, y, KernelParameters.Default(2).ToLog(), g);
        var atFit = MarginalLikelihood.Evaluate(x, y, fitted.ToLog(), g);
        Assert.True(atFit > atDefault, $"fit {atFit} vs default {atDefault}");
    }
}
