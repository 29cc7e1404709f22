using Mnist.Search.Gp;

namespace Mnist.Search.Tests.Gp;

public sealed class AcquisitionOptimizerTests
{
    [Fact]
    public void WhenCancelledThenTheSearchStopsWithOperationCanceled()
    {
        // Given a GP on a line and a stop already signalled (Ctrl+C during a long proposal)
        var x = Enumerable.Range(0, 8).Select(i => new[] { i / 7.0 }).ToArray();
        var y = x.Select(p => Math.Pow(p[0] - 0.4, 2)).ToArray();
        var acquisition = new LogEiAcquisition(new GaussianProcess(x, y, GpFitter.Fit(x, y, new Random(0))), y.Min());

        // When maximizing, Then the search ends with the stop rather than running its candidates and local searches
        Assert.ThrowsAny<OperationCanceledException>(() => AcquisitionOptimizer.Maximize(
            acquisition, [FeatureDimension.Continuous(0)], 1, new Random(1), [x[3]], cancellation: new CancellationToken(canceled: true)));
    }

    [Fact]
    public void WhenMaximizingOverAMixedCubeThenTheResultBeatsDenseRandomSearchAndRespectsTheDomain()
    {
        // Given a GP over one continuous column, one discrete column (5 grid values) and a 3-way one-hot categorical
        FeatureDimension[] dims =
        [
            FeatureDimension.Continuous(0),
            FeatureDimension.Discrete(1, [0.1, 0.3, 0.5, 0.7, 0.9]),
            FeatureDimension.Categorical(2, 3),
        ];
        var rng = new Random(4);
        var x = Enumerable.Range(0, 15).Select(_ =>
        {
            var p = new double[5];
            foreach (var d in dims) d.FromUniform(rng.NextDouble(), p);
            return p;
        }).ToArray();
        var y = x.Select(p => Math.Pow(p[0] - 0.6, 2) + Math.Pow(p[1] - 0.3, 2) + (p[3] == 1 ? -0.5 : 0)).ToArray();
        var gp = new GaussianProcess(x, y, GpFitter.Fit(x, y, new Random(0)));
        var acquisition = new LogEiAcquisition(gp, y.Min());

        // When
        var (best, value) = AcquisitionOptimizer.Maximize(acquisition, dims, 5, new Random(1), [], new AcquisitionOptions(Candidates: 256));

        // Then the point is feasible (grid value, exactly one-hot) and at least as good as 20,000 random feasible points
        Assert.Contains(best[1], dims[1].Grid!);
        Assert.Equal(1.0, best[2] + best[3] + best[4]);
        Assert.All(best[2..], v => Assert.True(v is 0.0 or 1.0));
        Assert.Equal(acquisition.Value(best), value, 12);
        var check = new Random(2);
        var randomBest = double.NegativeInfinity;
        for (var i = 0; i < 20_000; i++)
        {
            var p = new double[5];
            foreach (var d in dims) d.FromUniform(check.NextDouble(), p);
            randomBest = Math.Max(randomBest, acquisition.Value(p));
        }
        Assert.True(value >= randomBest - 1e-9, $"optimizer {value} < random {randomBest}");
    }
}
