namespace Mnist.Search.Config;

/// <summary>
/// The sampler: <see cref="StartupTrials"/> start-up trials before the GP (or TPE) takes over (ignored by random
/// search); <see cref="Seed"/> makes the sequence reproducible (null = <see cref="DefaultSeed"/>).
/// </summary>
public sealed record SamplerConfig(SamplerKind Kind, int StartupTrials, int? Seed)
{
    /// <summary>Optuna's <c>GPSampler</c> default for <c>n_startup_trials</c>.</summary>
    public const int DefaultStartupTrials = 10;

    /// <summary>The seed when <c>sampler.seed</c> is left out (so a study is reproducible by default).</summary>
    public const int DefaultSeed = 42;

    /// <summary>The seed in effect.</summary>
    public int EffectiveSeed => Seed ?? DefaultSeed;
}
