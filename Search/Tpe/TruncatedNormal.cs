using MathNet.Numerics;
using Mnist.Search.Gp;

namespace Mnist.Search.Tpe;

/// <summary>
/// The standard normal truncated to [a, b] (a &lt; b, standardized bounds), as TPE's kernels need it: the log of
/// its probability mass, log densities and inverse-CDF draws. A kernel's bounds lie up to 100 of its widths from its
/// centre (the magic clip lets σ shrink to a hundredth of the range), so masses are kept in log space: Φ(−100) is
/// far below the smallest double. The tail functions are the GP's (<see cref="LogExpectedImprovement"/>): one
/// implementation of erfcx for both.
/// </summary>
internal static class TruncatedNormal
{
    private static readonly double SqrtHalf = Math.Sqrt(0.5);
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>log Φ(z), through erfcx in the lower tail so it stays finite where Φ(z) underflows.</summary>
    public static double LogCdf(double z) =>
        z > -1.0
            ? Math.Log(0.5 * SpecialFunctions.Erfc(-z * SqrtHalf))
            : Math.Log(0.5 * LogExpectedImprovement.Erfcx(-z * SqrtHalf)) - 0.5 * z * z;

    /// <summary>log(Φ(b) − Φ(a)) for a &lt;= b, computed on the side of 0 where it does not cancel.</summary>
    public static double LogMass(double a, double b)
    {
        if (a >= b) return double.NegativeInfinity;
        if (a >= 0) return LogMass(-b, -a);
        if (b <= 0)
        {
            var logB = LogCdf(b);
            return logB + LogExpectedImprovement.Log1MinusExp(LogCdf(a) - logB);
        }
        // a < 0 < b: one minus the two tails.
        return SpecialFunctions.Log1p(-Math.Exp(LogCdf(a)) - Math.Exp(LogCdf(-b)));
    }

    /// <summary>log density at x of N(mu, sigma²) truncated to [low, high]; −∞ outside.</summary>
    public static double LogPdf(double x, double mu, double sigma, double low, double high)
    {
        if (x < low || x > high) return double.NegativeInfinity;
        var z = (x - mu) / sigma;
        return -0.5 * z * z - HalfLog2Pi - Math.Log(sigma) - LogMass((low - mu) / sigma, (high - mu) / sigma);
    }

    /// <summary>One draw of N(mu, sigma²) truncated to [low, high], by inverting the CDF of one uniform draw.</summary>
    public static double Sample(Random rng, double mu, double sigma, double low, double high)
    {
        var (a, b) = ((low - mu) / sigma, (high - mu) / sigma);
        var u = rng.NextDouble();
        // Invert on the side of the median the point falls: Φ(a) + u·mass near 1 would lose its digits.
        var (pa, pb) = (Cdf(a), Cdf(b));
        var p = pa + u * (pb - pa);
        double z;
        if (p <= 0.5)
        {
            z = -Math.Sqrt(2) * SpecialFunctions.ErfcInv(2 * p);
        }
        else
        {
            var (qa, qb) = (Cdf(-a), Cdf(-b));
            var q = qb + (1 - u) * (qa - qb);
            z = Math.Sqrt(2) * SpecialFunctions.ErfcInv(2 * q);
        }
        return Math.Clamp(mu + sigma * z, low, high);
    }

    private static double Cdf(double z) => 0.5 * SpecialFunctions.Erfc(-z * SqrtHalf);
}
