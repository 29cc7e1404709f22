using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class GaussianProcessTests
{
    private static double Smooth2D(double[] p) => Math.Sin(3 * p[0]) + Math.Cos(2 * p[1]) * p[0];

    private static GaussianProcess FitSmooth2D(int n, int seed)
    {
        var rng = new Random(seed);
        var x = Enumerable.Range(0, n).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToArray();
        var y = x.Select(Smooth2D).ToArray();
        return new GaussianProcess(x, y, GpFitter.Fit(x, y, new Random(seed)));
    }

    [Fact]
    public void WhenOnlyTheMeanIsAskedForThenItIsThePredictionsMeanToTheLastBit()
    {
        // Given a GP on 40 points (the sampler's incumbent and its lies now use the mean alone)
        var gp = FitSmooth2D(40, 3);

        // When the mean alone is computed at 50 other points, Then it is exactly the full prediction's mean
        var rng = new Random(7);
        var points = Enumerable.Range(0, 50).Select(_ => new[] { rng.NextDouble(), rng.NextDouble() }).ToList();
        Assert.Equal(points.Select(p => gp.Predict(p).Mean), points.Select(p => gp.PredictMean(p)));
        Assert.Equal(points.Select(p => gp.Predict(p).Mean), gp.PredictMeans(points));
    }

    [Fact]
    public void WhenFittedToASmooth1DFunctionThenHeldOutPointsArePredicted()
    {
        // Given sin(2πx) at 12 evenly spaced points
        var x = Enumerable.Range(0, 12).Select(i => new[] { i / 11.0 }).ToArray();
        var y = x.Select(p => Math.Sin(2 * Math.PI * p[0])).ToArray();
        var gp = new GaussianProcess(x, y, GpFitter.Fit(x, y, new Random(0)));

        // When predicting between them, Then the error is small
        foreach (var t in new[] { 0.05, 0.33, 0.5, 0.71, 0.96 })
        {
            var (mean, _) = gp.Predict([t]);
            Assert.True(Math.Abs(mean - Math.Sin(2 * Math.PI * t)) < 0.05, $"x={t}: predicted {mean}");
        }
    }

    [Fact]
    public void WhenFittedToASmooth2DFunctionThenHeldOutPointsArePredicted()
    {
        // Given a smooth 2-D function at 40 random points
        var gp = FitSmooth2D(40, 3);

        // When predicting 50 other points
        var rng = new Random(99);
        var errors = Enumerable.Range(0, 50).Select(_ =>
        {
            double[] p = [rng.NextDouble(), rng.NextDouble()];
            return Math.Abs(gp.Predict(p).Mean - Smooth2D(p));
        }).ToArray();

        // Then the mean absolute error is small against the function's range (about 3)
        Assert.True(errors.Average() < 0.05, $"mean abs error {errors.Average()}");
    }

    [Fact]
    public void WhenPredictingAtObservedPointsThenVarianceIsNearZeroAndMeanIsTheObservation()
    {
        // Given a GP with tiny noise
        var x = new[] { new[] { 0.1, 0.2 }, new[] { 0.5, 0.9 }, new[] { 0.8, 0.3 } };
        var y = new[] { 1.0, -0.5, 0.3 };
        var gp = new GaussianProcess(x, y, new KernelParameters([4.0, 4.0], 1.0, 1e-8));

        // When / Then
        for (var i = 0; i < x.Length; i++)
        {
            var (mean, variance) = gp.Predict(x[i]);
            Assert.True(variance < 1e-6, $"variance {variance}");
            Assert.Equal(y[i], mean, 4);
        }
        Assert.True(gp.Predict([0.3, 0.6]).Variance > 0.01);
    }

    [Fact]
    public void WhenDifferentiatedThenMeanAndVarianceGradientsMatchFiniteDifferences()
    {
        // Given a fitted GP and a point between observations
        var gp = FitSmooth2D(20, 4);
        double[] p = [0.37, 0.61];

        // When
        var dMean = new double[2];
        var dVar = new double[2];
        gp.Predict(p, dMean, dVar);

        // Then
        for (var d = 0; d < 2; d++)
        {
            var plus = (double[])p.Clone();
            var minus = (double[])p.Clone();
            plus[d] += 1e-5;
            minus[d] -= 1e-5;
            var (mp, vp) = gp.Predict(plus);
            var (mm, vm) = gp.Predict(minus);
            Assert.Equal((mp - mm) / 2e-5, dMean[d], 5);
            Assert.Equal((vp - vm) / 2e-5, dVar[d], 5);
        }
    }

    [Fact]
    public void WhenSeveralObservationsShareAGroupThenTheyCountAsOneNoisyLookNotAsIndependentConfirmations()
    {
        // Given one point observed three times at +1 (a trial's three epochs, one lucky seed) among points at 0
        double[][] x = [[0.0], [0.25], [0.5], [0.5], [0.5], [0.75], [1.0]];
        double[] y = [0, 0, 1, 1, 1, 0, 0];
        var parameters = new KernelParameters([1.0], 1.0, 0.05, GroupVariance: 0.5);

        // When the GP knows the three share a group, and when it does not
        var grouped = new GaussianProcess(x, y, parameters, [0, 1, 2, 2, 2, 3, 4]);
        var independent = new GaussianProcess(x, y, parameters, [0, 1, 2, 3, 4, 5, 6]);

        // Then the grouped GP believes the bump less: the shared part is read as that group's luck
        var atGroup = grouped.Predict([0.5]).Mean;
        var atIndependent = independent.Predict([0.5]).Mean;
        Assert.True(atGroup < atIndependent - 0.05, $"grouped {atGroup}, independent {atIndependent}");
        Assert.True(atGroup > 0, $"grouped {atGroup}");
    }
}
