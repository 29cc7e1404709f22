using MathNet.Numerics.Distributions;

namespace Mnist.Search.Gp;

/// <summary>
/// Rank-based normal scores (a copula / "rank-to-normal" output warp): value i becomes Φ⁻¹((rank + ½) / n), ranks
/// counted from 0 with ties sharing their mean rank. Keeps only the order of the values, so one diverged run or a
/// cluster of low early-epoch scores cannot stretch the scale that the good values are compared on.
/// </summary>
internal static class NormalScores
{
    public static double[] Of(IReadOnlyList<double> values)
    {
        var n = values.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => values[i]).ToArray();
        var scores = new double[n];
        for (var first = 0; first < n;)
        {
            var last = first;
            while (last + 1 < n && values[order[last + 1]] == values[order[first]]) last++;
            var score = Normal.InvCDF(0, 1, ((first + last) / 2.0 + 0.5) / n);
            for (var k = first; k <= last; k++) scores[order[k]] = score;
            first = last + 1;
        }
        return scores;
    }
}
