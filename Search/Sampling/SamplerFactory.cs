namespace Mnist.Search.Sampling;

/// <summary>Builds the sampler a <see cref="SamplerSettings"/> names.</summary>
public static class SamplerFactory
{
    /// <summary>
    /// The sampler for <paramref name="settings"/>. Throws <see cref="ArgumentException"/> with a one-line message
    /// naming the bad field (<c>sampler.kind</c>, <c>sampler.startup_trials</c>) and value.
    /// </summary>
    public static ISampler Create(SamplerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.StartupTrials < 0)
            throw new ArgumentException($"sampler.startup_trials: must be >= 0, got {settings.StartupTrials}");
        return settings.Kind switch
        {
            SamplerSettings.Gp => new GpSampler(settings),
            SamplerSettings.Random => new RandomSampler(settings.Seed),
            SamplerSettings.Tpe => new TpeSampler(settings.Seed, settings.StartupTrials),
            _ => throw new ArgumentException($"sampler.kind: unknown sampler '{settings.Kind}' (expected 'gp', 'tpe' or 'random')"),
        };
    }
}
