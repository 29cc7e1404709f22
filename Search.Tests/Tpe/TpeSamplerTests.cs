using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Tpe;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Tpe;

public sealed class TpeSamplerTests
{
    [Theory]
    [InlineData(0.2, 0.5)]
    [InlineData(0.9, 0.05)]
    [InlineData(1.0, 0.01)] // a kernel on the bound with the narrowest width the magic clip allows
    public void WhenDrawingFromATruncatedNormalThenEachQuarterGetsItsMass(double mu, double sigma)
    {
        // Given 40,000 draws on [0, 1]
        var rng = new Random(5);
        var draws = Enumerable.Range(0, 40_000).Select(_ => TruncatedNormal.Sample(rng, mu, sigma, 0, 1)).ToArray();

        // Then every draw is inside, and each quarter holds its share of the mass to within 0.01
        Assert.All(draws, x => Assert.InRange(x, 0.0, 1.0));
        var total = TruncatedNormal.LogMass(-mu / sigma, (1 - mu) / sigma);
        for (var q = 0; q < 4; q++)
        {
            var (lo, hi) = (q / 4.0, (q + 1) / 4.0);
            var expected = Math.Exp(TruncatedNormal.LogMass((lo - mu) / sigma, (hi - mu) / sigma) - total);
            var observed = draws.Count(x => x >= lo && x < hi) / (double)draws.Length;
            Assert.True(Math.Abs(observed - expected) < 0.01, $"quarter {q}: {observed:F4} drawn, {expected:F4} expected");
        }
    }

    [Fact]
    public void WhenTpeMinimizesAMixedFunctionThenItEndsBelowRandomSearch()
    {
        // Given the contract's mixed space (ints, log floats, steps, categoricals) and 40 trials, 10 of them random
        // start-up, over 40 seeds
        double Best(ISampler sampler) =>
            new TrialHistory(TrialHistory.Mixed).Run(sampler, StudyDirection.MINIMIZE, TrialHistory.MixedObjective, 40)
                .Trials.Min(t => t.Value!.Value);
        var tpe = Enumerable.Range(0, 40).Select(s => Best(new TpeSampler(s, startupTrials: 10))).ToArray();
        var random = Enumerable.Range(0, 40).Select(s => Best(new RandomSampler(s))).ToArray();

        // Then its best values are lower on average, and on most seeds
        // (Optuna 4.1's TPESampler on the same function, 40 seeds, bench/sampler/optuna_tpe.py: mean 0.179, median 0.126;
        // this sampler 0.170 / 0.128.)
        Assert.True(tpe.Average() < 0.8 * random.Average(), $"tpe {tpe.Average():F4}, random {random.Average():F4}");
        Assert.True(tpe.Zip(random).Count(p => p.First < p.Second) > 20, $"tpe {string.Join(' ', tpe)}; random {string.Join(' ', random)}");
    }

    [Fact]
    public void WhenFewerTrialsThanTheStartupHaveFinishedThenProposalsAreTheRandomSamplers()
    {
        // Given 4 finished trials, a running and a failed one, and 5 start-up trials
        var history = new TrialHistory(TrialHistory.Mixed).Run(new RandomSampler(1), StudyDirection.MINIMIZE, TrialHistory.MixedObjective, 4);
        history.Add(TrialState.RUNNING, history.Trials[0].Params);
        history.Add(TrialState.FAIL, history.Trials[1].Params);

        // When / Then: still start-up, whatever else the history holds
        Assert.Equal(
            new RandomSampler(3).Sample(TrialHistory.Mixed, StudyDirection.MINIMIZE, history.Trials),
            new TpeSampler(3, startupTrials: 5).Sample(TrialHistory.Mixed, StudyDirection.MINIMIZE, history.Trials));
    }
}
