namespace Mnist.Search.Tpe;

/// <summary>
/// One parameter's Parzen estimator, as Optuna 4's TPE builds it with its defaults (univariate, prior weight 1,
/// magic clip on, endpoints off): a mixture with one kernel per observation plus a prior kernel, weighted by
/// <see cref="ObservationWeights"/> (recent observations count more once there are 25) and the prior's weight.
/// <list type="bullet">
/// <item>Numeric (<see cref="Numeric"/>): truncated normals on [low, high]. A kernel's σ is the larger gap to its
/// sorted neighbours (the prior's centre among them; the outermost kernels take their inner gap), clipped to
/// [range / min(100, n + 2), range]; the prior kernel sits mid-range with σ = range. With a step, a kernel's
/// mass is that of the slice [x − step/2, x + step/2], and draws are rounded to the grid.</item>
/// <item>Categorical (<see cref="Categorical"/>): each kernel puts prior weight / kernels on every choice and one
/// more on its observed choice; the prior kernel is uniform.</item>
/// </list>
/// Works in the space the caller gives it (log parameters as logs); knows nothing of trials or studies.
/// </summary>
internal sealed class ParzenEstimator
{
    private const double PriorWeight = 1.0;

    private readonly double[] _logWeights;
    private readonly double[] _cumulativeWeights;
    private readonly double[] _mus = [];
    private readonly double[] _sigmas = [];
    private readonly double _low, _high, _step;
    private readonly double[][] _choiceLogProbabilities = [];

    private ParzenEstimator(double[] weights)
    {
        _logWeights = weights.Select(w => Math.Log(w)).ToArray();
        _cumulativeWeights = new double[weights.Length];
        var sum = 0.0;
        for (var k = 0; k < weights.Length; k++) _cumulativeWeights[k] = sum += weights[k];
    }

    private ParzenEstimator(double[] weights, double[] mus, double[] sigmas, double low, double high, double step) : this(weights)
    {
        (_mus, _sigmas, _low, _high, _step) = (mus, sigmas, low, high, step);
    }

    private ParzenEstimator(double[] weights, double[][] choiceProbabilities) : this(weights)
    {
        _choiceLogProbabilities = choiceProbabilities.Select(row => row.Select(p => Math.Log(p)).ToArray()).ToArray();
    }

    private bool IsCategorical => _choiceLogProbabilities.Length > 0;

    /// <summary>Optuna's <c>default_weights</c>: 1 each up to 25 observations; beyond, the oldest n − 25 ramp up from 1/n.</summary>
    public static double[] ObservationWeights(int n)
    {
        if (n < 25) return Enumerable.Repeat(1.0, n).ToArray();
        var ramp = n - 25;
        var w = new double[n];
        for (var i = 0; i < ramp; i++) w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
        for (var i = ramp; i < n; i++) w[i] = 1.0;
        return w;
    }

    /// <summary>
    /// Observations (oldest first) of a number on [low, high]; <paramref name="step"/> 0 for a continuous one, else the
    /// grid low, low + step, …, high.
    /// </summary>
    public static ParzenEstimator Numeric(IReadOnlyList<double> observations, double low, double high, double step = 0)
    {
        var n = observations.Count;
        var range = high - low + step;
        var priorMu = 0.5 * (low + high);
        // σ from the sorted centres with the prior's among them, bounded by the range's ends widened by half a step.
        var centres = observations.Append(priorMu).ToArray();
        var order = Enumerable.Range(0, centres.Length).OrderBy(i => centres[i]).ToArray();
        var ends = new double[centres.Length + 2];
        ends[0] = low - step / 2;
        for (var i = 0; i < order.Length; i++) ends[i + 1] = centres[order[i]];
        ends[^1] = high + step / 2;
        var sortedSigmas = new double[centres.Length];
        for (var i = 0; i < sortedSigmas.Length; i++)
            sortedSigmas[i] = Math.Max(ends[i + 1] - ends[i], ends[i + 2] - ends[i + 1]);
        if (ends.Length >= 4)
        {
            sortedSigmas[0] = ends[2] - ends[1];
            sortedSigmas[^1] = ends[^2] - ends[^3];
        }
        var minSigma = range / Math.Min(100.0, 1.0 + n + 1);
        var sigmas = new double[n + 1];
        for (var i = 0; i < order.Length; i++)
            if (order[i] < n) sigmas[order[i]] = Math.Clamp(sortedSigmas[i], minSigma, range);
        sigmas[n] = range;
        return new ParzenEstimator(MixtureWeights(n), centres, sigmas, low, high, step);
    }

    /// <summary>Observed choice indices (oldest first) of a categorical with <paramref name="choices"/> choices.</summary>
    public static ParzenEstimator Categorical(IReadOnlyList<int> observations, int choices)
    {
        var n = observations.Count;
        if (n == 0) return new ParzenEstimator([1.0], [Enumerable.Repeat(1.0 / choices, choices).ToArray()]);
        var kernels = n + 1;
        var rows = new double[kernels][];
        for (var k = 0; k < kernels; k++)
        {
            rows[k] = Enumerable.Repeat(PriorWeight / kernels, choices).ToArray();
            if (k < n) rows[k][observations[k]] += 1;
            var sum = rows[k].Sum();
            for (var c = 0; c < choices; c++) rows[k][c] /= sum;
        }
        return new ParzenEstimator(MixtureWeights(n), rows);
    }

    /// <summary>Kernel weights, normalized: the observations', then the prior's (alone when nothing is observed).</summary>
    private static double[] MixtureWeights(int n)
    {
        var w = ObservationWeights(n).Append(PriorWeight).ToArray();
        var sum = w.Sum();
        return w.Select(x => x / sum).ToArray();
    }

    /// <summary>One draw: a kernel by its weight, then a value from it (a choice index for a categorical).</summary>
    public double Sample(Random rng)
    {
        var u = rng.NextDouble();
        var k = Array.FindIndex(_cumulativeWeights, c => u < c);
        if (k < 0) k = _cumulativeWeights.Length - 1;
        if (IsCategorical)
        {
            var v = rng.NextDouble();
            var row = _choiceLogProbabilities[k];
            var cumulative = 0.0;
            for (var c = 0; c < row.Length - 1; c++)
                if (v < (cumulative += Math.Exp(row[c]))) return c;
            return row.Length - 1;
        }
        var x = TruncatedNormal.Sample(rng, _mus[k], _sigmas[k], _low - _step / 2, _high + _step / 2);
        return _step > 0 ? Math.Clamp(_low + Math.Round((x - _low) / _step) * _step, _low, _high) : x;
    }

    /// <summary>log density of the mixture at x (a grid value's log mass with a step; a choice's log probability).</summary>
    public double LogPdf(double x)
    {
        var terms = new double[_logWeights.Length];
        for (var k = 0; k < terms.Length; k++) terms[k] = _logWeights[k] + KernelLogPdf(k, x);
        var max = terms.Max();
        if (double.IsNegativeInfinity(max)) return max;
        return max + Math.Log(terms.Sum(t => Math.Exp(t - max)));
    }

    private double KernelLogPdf(int k, double x)
    {
        if (IsCategorical) return _choiceLogProbabilities[k][(int)x];
        var (mu, sigma) = (_mus[k], _sigmas[k]);
        if (_step == 0) return TruncatedNormal.LogPdf(x, mu, sigma, _low, _high);
        var (lower, upper) = (_low - _step / 2, _high + _step / 2);
        var slice = TruncatedNormal.LogMass((Math.Max(x - _step / 2, lower) - mu) / sigma, (Math.Min(x + _step / 2, upper) - mu) / sigma);
        return slice - TruncatedNormal.LogMass((lower - mu) / sigma, (upper - mu) / sigma);
    }
}
