using Mnist.Search.Gp;
using Mnist.Search.Space;

namespace Mnist.Search.Sampling;

/// <summary>
/// Startup points before a model is worth fitting: point number <c>index</c> of a scrambled Halton sequence
/// fixed by the seed, mapped into the space. Trial i takes point i, so concurrent trials get distinct,
/// well-spread points and the first n trials cover the space far more evenly than independent draws.
/// </summary>
internal static class QuasiRandomStartup
{
    public static Dictionary<string, double> Sample(SearchSpace space, int seed, int index)
    {
        var encoder = new SpaceEncoder(space);
        var halton = new ScrambledHalton(space.Count, SamplerRandom.For(seed, 0, salt: 1));
        return encoder.FromUniform(halton.Point(index));
    }
}
