namespace Mnist.Search.Gp;

/// <summary>
/// A sliced Latin hypercube design (after Qian, "Sliced Latin hypercube designs", JASA 2012) of a fixed number of
/// points in [0, 1)^d for a space with categorical dimensions: every categorical dimension cycles through its
/// choices (each block of k points takes each of its k choices once, in a random order), and within each slice —
/// the points that share all categorical choices — every other dimension is a Latin hypercube: its m points fall one
/// into each of m equal strata. So each choice is tried with values spread over every other dimension's whole range,
/// which a low-discrepancy sequence guarantees only for the design as a whole: with a scrambled Halton sequence the
/// points that share a choice are a random subset, and a start-up could try batch size 64 only with low learning rates.
/// </summary>
internal static class SlicedLatinHypercube
{
    /// <param name="count">Number of points.</param>
    /// <param name="levels">Per dimension: its number of choices for a categorical one (≥ 2), 0 for any other.
    /// A categorical coordinate is the middle of its choice's interval, (choice + ½) / k.</param>
    /// <param name="rng">All the design's randomness.</param>
    public static double[][] Design(int count, IReadOnlyList<int> levels, Random rng)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var dims = levels.Count;
        var points = new double[count][];
        for (var i = 0; i < count; i++) points[i] = new double[dims];
        var choices = new int[count][];
        for (var i = 0; i < count; i++) choices[i] = new int[dims];

        for (var d = 0; d < dims; d++)
        {
            var k = levels[d];
            if (k < 2) continue;
            for (var block = 0; block < count; block += k)
            {
                var order = Enumerable.Range(0, k).ToArray();
                rng.Shuffle(order);
                for (var j = 0; j < k && block + j < count; j++)
                {
                    choices[block + j][d] = order[j];
                    points[block + j][d] = (order[j] + 0.5) / k;
                }
            }
        }

        var slices = Enumerable.Range(0, count).GroupBy(i => string.Join(",", choices[i]));
        foreach (var slice in slices)
        {
            var members = slice.ToArray();
            var m = members.Length;
            for (var d = 0; d < dims; d++)
            {
                if (levels[d] >= 2) continue;
                var strata = Enumerable.Range(0, m).ToArray();
                rng.Shuffle(strata);
                for (var j = 0; j < m; j++) points[members[j]][d] = (strata[j] + rng.NextDouble()) / m;
            }
        }
        return points;
    }
}
