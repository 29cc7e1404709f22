using MathNet.Numerics;

namespace Mnist.Search.Gp;

/// <summary>
/// log EI for minimization: EI = σ·h(z), z = (best − μ)/σ, h(z) = φ(z) + zΦ(z). log h is computed without
/// underflow for very negative z (Ament et al. 2023, "Unexpected improvements to expected improvement"):
/// direct for z > −1, through the scaled complementary error function erfcx below, and with its asymptote
/// −z²/2 − log√(2π) − 2 log|z| beyond −1/√ε, so the acquisition keeps a useful gradient far from the optimum.
/// </summary>
internal static class LogExpectedImprovement
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);
    private static readonly double HalfLogPiOver2 = 0.5 * Math.Log(Math.PI / 2);
    private static readonly double SqrtHalf = Math.Sqrt(0.5);
    private static readonly double InverseSqrtEpsilon = 1.0 / Math.Sqrt(Math.Pow(2, -52));

    /// <summary>Smallest variance used; keeps σ and the gradient finite at observed points.</summary>
    public const double MinVariance = 1e-12;

    /// <summary>log h(z).</summary>
    public static double LogH(double z)
    {
        if (z > -1.0)
        {
            var cdf = 0.5 * SpecialFunctions.Erfc(-z * SqrtHalf);
            var pdf = Math.Exp(-0.5 * z * z - HalfLog2Pi);
            return Math.Log(pdf + z * cdf);
        }
        if (z > -InverseSqrtEpsilon)
        {
            var a = Math.Log(Erfcx(-z * SqrtHalf) * -z) + HalfLogPiOver2;
            return -0.5 * z * z - HalfLog2Pi + Log1MinusExp(a);
        }
        return -0.5 * z * z - HalfLog2Pi - 2.0 * Math.Log(-z);
    }

    /// <summary>d log h/dz = Φ(z)/h(z).</summary>
    public static double DLogH(double z)
    {
        if (z > -1.0)
        {
            var cdf = 0.5 * SpecialFunctions.Erfc(-z * SqrtHalf);
            var pdf = Math.Exp(-0.5 * z * z - HalfLog2Pi);
            return cdf / (pdf + z * cdf);
        }
        if (z > -InverseSqrtEpsilon)
        {
            var logCdf = Math.Log(0.5 * Erfcx(-z * SqrtHalf)) - 0.5 * z * z;
            return Math.Exp(logCdf - LogH(z));
        }
        return -z;
    }

    /// <summary>log EI of a posterior (mean, variance) against the incumbent <paramref name="best"/> (minimization).</summary>
    public static double Value(double mean, double variance, double best)
    {
        var sigma = Math.Sqrt(Math.Max(variance, MinVariance));
        return Math.Log(sigma) + LogH((best - mean) / sigma);
    }

    /// <summary>log EI and its partial derivatives with respect to the mean and the variance.</summary>
    public static (double Value, double DMean, double DVariance) ValueAndGradient(double mean, double variance, double best)
    {
        var v = Math.Max(variance, MinVariance);
        var sigma = Math.Sqrt(v);
        var z = (best - mean) / sigma;
        var dz = DLogH(z);
        var dMean = -dz / sigma;
        // d/dσ [log σ + log h(z)] = 1/σ − z/σ · dlogh; dσ/dv = 1/(2σ).
        var dVariance = variance < MinVariance ? 0.0 : (1.0 / sigma - z / sigma * dz) / (2.0 * sigma);
        return (Math.Log(sigma) + LogH(z), dMean, dVariance);
    }

    /// <summary>erfcx(x) = exp(x²)·erfc(x) for x ≥ 0, via MathNet's erfc until it would underflow, then its asymptotic series.</summary>
    internal static double Erfcx(double x)
    {
        if (x < 25.0) return Math.Exp(x * x) * SpecialFunctions.Erfc(x);
        var inv2 = 1.0 / (x * x);
        var series = 1.0 + inv2 * (-0.5 + inv2 * (0.75 + inv2 * (-1.875 + inv2 * 6.5625)));
        return series / (x * Math.Sqrt(Math.PI));
    }

    /// <summary>log(1 − eˣ) for x &lt; 0, accurate at both ends.</summary>
    internal static double Log1MinusExp(double x) =>
        x > -Math.Log(2) ? Math.Log(-SpecialFunctions.Expm1(x)) : SpecialFunctions.Log1p(-Math.Exp(x));
}
