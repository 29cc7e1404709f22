namespace Mnist.Search.Config;

/// <summary>
/// The sampler: <see cref="StartupTrials"/> start-up trials before the GP (or TPE) takes over (ignored by random
/// search); <see cref="Seed"/> makes the sequence reproducible (null = 42, see <c>Cli/ConfigMapping</c>).
/// </summary>
public sealed record SamplerConfig(SamplerKind Kind, int StartupTrials, int? Seed)
{
    /// <summary>Optuna's <c>GPSampler</c> default for <c>n_startup_trials</c>.</summary>
    public const int DefaultStartupTrials = 10;
}
