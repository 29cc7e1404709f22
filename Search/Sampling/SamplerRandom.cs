namespace Mnist.Search.Sampling;

/// <summary>
/// Seeds for stateless samplers: one RNG per (sampler seed, number of trials so far), so the same history
/// always gives the same proposal and each new trial a fresh stream. SplitMix64 mixing, because
/// <see cref="HashCode"/> is randomized per process.
/// </summary>
internal static class SamplerRandom
{
    public static Random For(int seed, int trialCount, ulong salt = 0)
    {
        var z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)trialCount + salt * 0xD1B54A32D192ED03UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }
}
