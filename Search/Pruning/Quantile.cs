namespace Mnist.Search.Pruning;

/// <summary>Percentiles as numpy's default (linear interpolation between closest ranks).</summary>
internal static class Quantile
{
    public static double Linear(IReadOnlyCollection<double> values, double percentile)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = percentile / 100.0 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        var (a, b, t) = (sorted[lo], sorted[hi], rank - lo);
        // numpy's lerp, from the nearer end: with an infinite value the two forms differ (−inf or NaN), and Optuna's
        // pruners take numpy's; always from the lower end, a 25th percentile of [−inf, .47, .56] was NaN, not −inf.
        return t >= 0.5 ? b - ((b - a) * (1 - t)) : a + ((b - a) * t);
    }
}
