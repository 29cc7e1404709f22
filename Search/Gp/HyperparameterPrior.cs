namespace Mnist.Search.Gp;

/// <summary>
/// Weak log-prior on the kernel parameters, in the spirit of Optuna's <c>_gp/prior.py</c>: it keeps
/// length-scales near the unit cube's size unless the data say otherwise (−0.1/ρ − 0.1ρ, peaked at ρ = 1),
/// the scale near 1 (Gamma(2, 1)) and the noise small (Gamma(1.1, 30)). Without it the marginal
/// likelihood happily picks absurd length-scales on 10–20 points.
/// </summary>
internal static class HyperparameterPrior
{
    /// <summary>Log-prior at <paramref name="p"/>; adds its gradient with respect to the log parameters into <paramref name="gradient"/>.</summary>
    public static double LogDensity(KernelParameters p, Span<double> gradient)
    {
        var value = 0.0;
        var mode = Environment.GetEnvironmentVariable("GP_PRIOR");
        for (var d = 0; d < p.Dimensions; d++)
        {
            var rho = p.InverseSquaredLengthscales[d];
            if (mode is not null && mode.StartsWith("gamma"))
            {
                var parts = mode[5..].Split(':');
                double a = double.Parse(parts[0]), b = double.Parse(parts[1]);
                var l = 1 / Math.Sqrt(rho);
                value += (a - 1) * Math.Log(l) - b * l;
                gradient[d] += -(a - 1) / 2 + b * l / 2;
                continue;
            }
            value -= 0.1 / rho + 0.1 * rho;
            gradient[d] += 0.1 / rho - 0.1 * rho;
        }
        value += Math.Log(p.Scale) - p.Scale;
        gradient[p.Dimensions] += 1.0 - p.Scale;
        value += 0.1 * Math.Log(p.NoiseVariance) - 30.0 * p.NoiseVariance;
        gradient[p.Dimensions + 1] += 0.1 - 30.0 * p.NoiseVariance;
        return value;
    }
}
