using System.Text.Json.Serialization;

namespace Mnist.Search.Sampling;

/// <summary>
/// The <c>sampler</c> section of a study config. <see cref="Kind"/>: <c>gp</c> (default, Bayesian optimization),
/// <c>tpe</c> (Optuna's default algorithm) or <c>random</c>. <see cref="StartupTrials"/>: trials with a score the GP (or
/// TPE) waits for, proposing quasi-random (random) points meanwhile; for the GP with several fidelities a running
/// trial that has reported an epoch counts (its epoch scores are observations), for TPE finished trials only. <see cref="Seed"/>: fixes every proposal given the history. <see cref="MaxFidelity"/>: the epochs of a
/// full trial when a pruner stops trials at different epochs, which makes the GP model the fidelity (see
/// <see cref="GpObservations"/>); 0 or 1 = one fidelity.
/// </summary>
public sealed record SamplerSettings(
    [property: JsonPropertyName("kind")] string Kind = SamplerSettings.Gp,
    [property: JsonPropertyName("startup_trials")] int StartupTrials = 10,
    [property: JsonPropertyName("seed")] int Seed = 0,
    [property: JsonPropertyName("max_fidelity")] int MaxFidelity = 0)
{
    public const string Gp = "gp";
    public const string Random = "random";
    public const string Tpe = "tpe";
}
