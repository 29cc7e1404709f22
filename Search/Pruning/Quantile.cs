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
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
