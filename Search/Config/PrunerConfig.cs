namespace Mnist.Search.Config;

/// <summary>
/// The pruner and its settings. Median (Optuna's <c>MedianPruner</c>) uses <see cref="StartupTrials"/>,
/// <see cref="WarmupEpochs"/> and <see cref="Interval"/>; ASHA (Optuna's
/// <c>SuccessiveHalvingPruner</c>) and Hyperband (<c>HyperbandPruner</c>, whose largest resource is <c>budget.epochs</c>)
/// use <see cref="MinResource"/> and <see cref="ReductionFactor"/>.
/// Settings of the other kind keep their defaults.
/// </summary>
public sealed record PrunerConfig(
    PrunerKind Kind,
    int StartupTrials = PrunerConfig.DefaultStartupTrials,
    int WarmupEpochs = 0,
    int Interval = 1,
    int MinResource = 1,
    int ReductionFactor = PrunerConfig.DefaultReductionFactor)
{
    public const int DefaultStartupTrials = 5;
    public const int DefaultReductionFactor = 4;

    public static PrunerConfig None { get; } = new(PrunerKind.None);
}
