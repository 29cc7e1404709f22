namespace Mnist.Search.Gp;

/// <summary>
/// Matérn 5/2 kernel with one inverse squared length-scale per feature column (ARD):
/// k(x, x') = scale · f(d²), d² = Σ_d ρ_d (x_d − x'_d)², f(d²) = (1 + √(5d²) + 5d²/3)·exp(−√(5d²)).
/// </summary>
internal static class Matern52Kernel
{
    /// <summary>f(d²).</summary>
    public static double Value(double squaredDistance)
    {
        var r = Math.Sqrt(5.0 * squaredDistance);
        return (1.0 + r + 5.0 / 3.0 * squaredDistance) * Math.Exp(-r);
    }

    /// <summary>df/d(d²) = −5/6 · (1 + √(5d²)) · exp(−√(5d²)); finite at d² = 0, unlike df/dd.</summary>
    public static double Derivative(double squaredDistance)
    {
        var r = Math.Sqrt(5.0 * squaredDistance);
        return -5.0 / 6.0 * (1.0 + r) * Math.Exp(-r);
    }

    /// <summary>Σ_d ρ_d (a_d − b_d)².</summary>
    public static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> inverseSquaredLengthscales)
    {
        var sum = 0.0;
        for (var d = 0; d < a.Length; d++)
        {
            var t = a[d] - b[d];
            sum += inverseSquaredLengthscales[d] * t * t;
        }
        return sum;
    }
}
