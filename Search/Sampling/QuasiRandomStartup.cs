using Mnist.Search.Gp;
using Mnist.Search.Space;

namespace Mnist.Search.Sampling;

/// <summary>
/// Startup points before a model is worth fitting: point number <c>index</c> of a scrambled Halton sequence
/// fixed by the seed, mapped into the space. Trial i takes point i, so concurrent trials get distinct,
/// well-spread points and the first n trials cover the space far more evenly than independent draws.
/// With <c>sliced</c> and a categorical parameter, the first <c>count</c> trials take the points of a
/// <see cref="SlicedLatinHypercube"/> instead (fixed by the seed and <c>count</c>), so every choice meets every
/// other parameter's whole range; later ones the Halton points.
/// </summary>
internal static class QuasiRandomStartup
{
    public static Dictionary<string, double> Sample(SearchSpace space, int seed, int index, int count = 0, bool sliced = false)
    {
        var encoder = new SpaceEncoder(space);
        var levels = space.Parameters.Select(p => p.Value is CategoricalDistribution c ? c.Choices.Count : 0).ToArray();
        if (sliced && index < count && levels.Any(k => k >= 2))
            return encoder.FromUniform(SlicedLatinHypercube.Design(count, levels, SamplerRandom.For(seed, 0, salt: 2))[index]);
        var halton = new ScrambledHalton(space.Count, SamplerRandom.For(seed, 0, salt: 1));
        return encoder.FromUniform(halton.Point(index));
    }
}
