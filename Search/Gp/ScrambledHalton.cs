namespace Mnist.Search.Gp;

/// <summary>
/// Halton low-discrepancy sequence in [0, 1)^d, scrambled with a random digit permutation per dimension and
/// digit position (drawn from the given RNG), which removes the correlation between high dimensions that
/// plain Halton has and makes the sequence seed-dependent. Point i depends only on (seed, i), so trial
/// number i can be drawn without any state.
/// </summary>
internal sealed class ScrambledHalton
{
    private static readonly int[] Primes = FirstPrimes(128);
    private readonly int[][][] _permutations; // [dim][digit position][digit]

    public ScrambledHalton(int dimensions, Random rng)
    {
        if (dimensions > Primes.Length) throw new ArgumentOutOfRangeException(nameof(dimensions), $"at most {Primes.Length} dimensions");
        Dimensions = dimensions;
        _permutations = new int[dimensions][][];
        for (var d = 0; d < dimensions; d++)
        {
            var b = Primes[d];
            // Enough digits that b^-digits is below double resolution.
            var digits = (int)Math.Ceiling(53 * Math.Log(2) / Math.Log(b));
            _permutations[d] = new int[digits][];
            for (var k = 0; k < digits; k++)
            {
                var perm = Enumerable.Range(0, b).ToArray();
                rng.Shuffle(perm);
                _permutations[d][k] = perm;
            }
        }
    }

    public int Dimensions { get; }

    /// <summary>The <paramref name="index"/>-th point of the sequence.</summary>
    public double[] Point(long index)
    {
        var point = new double[Dimensions];
        for (var d = 0; d < Dimensions; d++) point[d] = Coordinate(index, d);
        return point;
    }

    private double Coordinate(long index, int dim)
    {
        var b = Primes[dim];
        var perms = _permutations[dim];
        var value = 0.0;
        var scale = 1.0 / b;
        var i = index;
        // Permute every digit position, including the leading zeros past the index's last digit; that is what
        // spreads the first few points (index 0 would otherwise be the origin).
        for (var k = 0; k < perms.Length; k++)
        {
            value += perms[k][(int)(i % b)] * scale;
            i /= b;
            scale /= b;
        }
        return Math.Min(value, 1.0 - 1e-12);
    }

    private static int[] FirstPrimes(int count)
    {
        var primes = new List<int>();
        for (var c = 2; primes.Count < count; c++)
            if (primes.TrueForAll(p => c % p != 0)) primes.Add(c);
        return primes.ToArray();
    }
}
