using Mnist.Search.Gp;
using Mnist.Search.Space;
using Mnist.Search.Study;

namespace Mnist.Search.Sampling;

/// <summary>
/// Bayesian optimization with a Gaussian process (the <c>gp</c> sampler); only converts trials to arrays and
/// back, the numerics live in <see cref="Mnist.Search.Gp"/>.
/// <list type="bullet">
/// <item>Observations: COMPLETE trials with a value, and PRUNED trials at their last intermediate value —
/// pruned runs were stopped because they looked bad, and their partial score says so, which keeps the GP
/// from proposing the same region again (with no intermediate value they are ignored). FAIL trials are
/// ignored. Trials missing a parameter of the space (or outside it) are ignored.</item>
/// <item>Until <see cref="SamplerSettings.StartupTrials"/> observations exist, trial i gets point i of a
/// scrambled Halton sequence (<see cref="QuasiRandomStartup"/>).</item>
/// <item>Values are negated for MAXIMIZE, infinities clipped to the finite range, then standardized.</item>
/// <item>RUNNING and WAITING trials are pending points: after fitting, the GP is conditioned on them with a
/// constant lie — the mean observed value, or the GP's own prediction there when that is worse — so
/// concurrent trials are pushed apart instead of crowding the incumbent.</item>
/// <item>Stateless: every random choice comes from (seed, number of trials), so the same history gives the
/// same proposal and any process can resume.</item>
/// </list>
/// </summary>
public sealed class GpSampler : ISampler
{
    private readonly SamplerSettings _settings;
    private readonly GpFitOptions _fitOptions;
    private readonly AcquisitionOptions _acquisitionOptions;

    public GpSampler(SamplerSettings settings)
        : this(settings,
            new GpFitOptions(MinNoiseVariance: double.Parse(Environment.GetEnvironmentVariable("GP_MINNOISE") ?? "1e-6"), Restarts: int.Parse(Environment.GetEnvironmentVariable("GP_RESTARTS") ?? "2")),
            new AcquisitionOptions(Candidates: int.Parse(Environment.GetEnvironmentVariable("GP_CAND") ?? "2048"), LocalSearches: int.Parse(Environment.GetEnvironmentVariable("GP_LOCAL") ?? "10")))
    {
    }

    internal GpSampler(SamplerSettings settings, GpFitOptions fitOptions, AcquisitionOptions acquisitionOptions)
    {
        _settings = settings;
        _fitOptions = fitOptions;
        _acquisitionOptions = acquisitionOptions;
    }

    public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials)
    {
        if (space.Count == 0) return new Dictionary<string, double>();
        var encoder = new SpaceEncoder(space);
        var (x, y) = Observations(encoder, direction, trials);
        if (x.Count < Math.Max(_settings.StartupTrials, 1))
            return QuasiRandomStartup.Sample(space, _settings.Seed, trials.Count);

        var rng = SamplerRandom.For(_settings.Seed, trials.Count, salt: 3);
        var standardized = Standardize(y);
        var xs = x.ToArray();
        var swDbg = System.Diagnostics.Stopwatch.StartNew();
        var parameters = GpFitter.Fit(xs, standardized, rng, _fitOptions);
        var tFit = swDbg.Elapsed.TotalMilliseconds;
        var gp = new GaussianProcess(xs, standardized, parameters);
        var incumbent = Array.IndexOf(standardized, standardized.Min());

        var pending = trials
            .Where(t => t.State is TrialState.RUNNING or TrialState.WAITING && encoder.Covers(t.Params))
            .Select(t => encoder.Encode(t.Params)).ToList();
        if (pending.Count > 0)
        {
            // Lie = the mean (0 after standardizing), or the prediction where that is already worse.
            var lies = pending.Select(p => Math.Max(0.0, gp.Predict(p).Mean)).ToList();
            try { gp = gp.WithObservations(pending, lies); }
            catch (ArgumentException)
            {
                // A pending point on top of an observed one with a different value can make K singular at the
                // minimum noise; then the GP ignores pending points rather than fail the study.
            }
        }

        var acquisition = new LogEiAcquisition(gp, standardized[incumbent]);
        var (best, _) = AcquisitionOptimizer.Maximize(
            acquisition, encoder.Dimensions, encoder.Columns, rng, [xs[incumbent]], _acquisitionOptions.ForObservations(gp.Count));
        if (Environment.GetEnvironmentVariable("GP_TIME") == "1") Console.Error.WriteLine($"n={xs.Length} fit {tFit:F0} ms total {swDbg.Elapsed.TotalMilliseconds:F0} ms");
        if (Environment.GetEnvironmentVariable("GP_CHECK") == "1")
        {
            var r2 = new Random(1);
            var bestRandom = double.NegativeInfinity;
            var u = new double[encoder.Columns];
            for (var k = 0; k < 100000; k++)
            {
                for (var c = 0; c < u.Length; c++) u[c] = r2.NextDouble();
                bestRandom = Math.Max(bestRandom, acquisition.Value(u));
            }
            var (candBest, _) = AcquisitionOptimizer.Maximize(acquisition, encoder.Dimensions, encoder.Columns, rng, [xs[incumbent]], _acquisitionOptions with { LocalSearches = 0 });
            Console.Error.WriteLine($"found {acquisition.Value(best):F3} random100k {bestRandom:F3} candidatesOnly {acquisition.Value(candBest):F3} incumbentLocal {acquisition.Value(xs[incumbent]):F3}");
        }
        if (Environment.GetEnvironmentVariable("GP_DEBUG") == "1")
            Console.Error.WriteLine($"n={xs.Length} ls={string.Join(",", parameters.InverseSquaredLengthscales.Select(r => (1 / Math.Sqrt(r)).ToString("F3")))} s={parameters.Scale:F3} noise={parameters.NoiseVariance:E1} best={standardized[incumbent]:F2} acq={acquisition.Value(best):F2}");
        return encoder.Decode(best);
    }

    private static (List<double[]> X, List<double> Y) Observations(SpaceEncoder encoder, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials)
    {
        var x = new List<double[]>();
        var y = new List<double>();
        foreach (var t in trials)
        {
            double? value = t.State switch
            {
                TrialState.COMPLETE => t.Value,
                TrialState.PRUNED => t.LastIntermediate?.Value,
                _ => null,
            };
            if (value is not { } v || double.IsNaN(v) || !encoder.Covers(t.Params)) continue;
            x.Add(encoder.Encode(t.Params));
            y.Add(direction == StudyDirection.MAXIMIZE ? -v : v);
        }
        return (x, y);
    }

    /// <summary>Clips infinities to the finite range, then centres and scales to unit variance.</summary>
    private static double[] Standardize(List<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        var lo = finite.Length > 0 ? finite.Min() : 0.0;
        var hi = finite.Length > 0 ? finite.Max() : 0.0;
        var clipped = values.Select(v => double.IsFinite(v) ? v : v > 0 ? hi : lo).ToArray();
        var warp = Environment.GetEnvironmentVariable("GP_WARP");
        if (warp == "copula")
        {
            var n = clipped.Length;
            var order = Enumerable.Range(0, n).OrderBy(i => clipped[i]).ToArray();
            var ranks = new double[n];
            for (var r = 0; r < n; r++) ranks[order[r]] = r;
            clipped = ranks.Select(r => MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, (r + 0.5) / n)).ToArray();
        }
        else if (warp is not null && warp.StartsWith("log"))
        {
            var frac = double.Parse(warp[3..]);
            var sorted = clipped.Order().ToArray();
            var median = sorted[sorted.Length / 2];
            var delta = Math.Max((median - lo) * frac, 1e-12);
            clipped = clipped.Select(v => Math.Log(v - lo + delta)).ToArray();
        }
        var mean = clipped.Average();
        var std = Math.Sqrt(clipped.Select(v => (v - mean) * (v - mean)).Average());
        if (std < 1e-12) std = 1.0;
        return clipped.Select(v => (v - mean) / std).ToArray();
    }
}
