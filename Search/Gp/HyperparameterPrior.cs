namespace Mnist.Search.Gp;

/// <summary>
/// Weak log-prior on the kernel parameters (MAP rather than plain maximum likelihood, as Optuna's
/// <c>_gp/prior.py</c> does). Length-scales ℓ = ρ^(−1/2) get a Gamma(2, 4) prior (mode 0.25 of the unit cube,
/// mean 0.5): on 10–30 points the likelihood alone often declares dimensions irrelevant (ℓ of several cube
/// widths), and the optimizer then wastes trials on far corners; the benchmarks (bench/sampler) favoured this
/// over Optuna's −0.1/ρ − 0.1ρ. Scale: Gamma(2, 1); noise variance (and a group's shared noise variance): Gamma(1.1, 30), as Optuna. On the real
/// objective the data set the noise, not this prior (issue 9, 2026-12-04): on 18 real studies a 100× weaker rate moved
/// the share of the variance read as noise by at most 0.005, and on the table replay rates of 3 / 300 changed gp's pick
/// by +0.0000 / −0.0001 (bench/search results/20261204T051000-replay-slots.txt).
/// </summary>
internal static class HyperparameterPrior
{
    private const double LengthscaleShape = 2.0;
    public const double LengthscaleRate = 4.0;
    public const double NoiseRate = 30.0;

    /// <summary>
    /// Log-prior at <paramref name="p"/>; adds its gradient with respect to the log parameters into <paramref name="gradient"/>.
    /// Other rates than the defaults are for measuring (bench/search --lengthscale-prior-rate, --noise-prior-rate).
    /// </summary>
    public static double LogDensity(KernelParameters p, Span<double> gradient,
        double lengthscaleRate = LengthscaleRate, double noiseRate = NoiseRate)
    {
        var value = 0.0;
        for (var d = 0; d < p.Dimensions; d++)
        {
            // log p(ℓ) = (a − 1) log ℓ − bℓ with ℓ = exp(−θ/2), θ = log ρ.
            var l = 1.0 / Math.Sqrt(p.InverseSquaredLengthscales[d]);
            value += (LengthscaleShape - 1) * Math.Log(l) - lengthscaleRate * l;
            gradient[d] += -(LengthscaleShape - 1) / 2 + lengthscaleRate * l / 2;
        }
        value += Math.Log(p.Scale) - p.Scale;
        gradient[p.Dimensions] += 1.0 - p.Scale;
        value += 0.1 * Math.Log(p.NoiseVariance) - noiseRate * p.NoiseVariance;
        gradient[p.Dimensions + 1] += 0.1 - noiseRate * p.NoiseVariance;
        if (p.GroupVariance is { } group)
        {
            // The noise a group shares is noise too: the same weak prior.
            value += 0.1 * Math.Log(group) - noiseRate * group;
            gradient[p.Dimensions + 2] += 0.1 - noiseRate * group;
        }
        return value;
    }
}
