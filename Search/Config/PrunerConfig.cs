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

    /// <summary>
    /// Why this pruner prunes no trial of <paramref name="epochs"/> epochs, else null: a trial is judged only after an
    /// epoch before its last. Written settings that do this are refused (StudyConfigLoader); the defaults with
    /// <c>budget.epochs</c> 1, or a stored configuration, pass (refusing them would strand studies already stored), and
    /// are warned of instead: "asha" with one epoch ran without a word that it never pruned (audit-cli 15).
    /// </summary>
    public string? PrunesNothing(int epochs) => Kind switch
    {
        PrunerKind.Median when WarmupEpochs >= epochs - 1 =>
            $"its first {WarmupEpochs} epoch(s) (warmup_epochs) and its last are never judged, and budget.epochs is {epochs}",
        PrunerKind.Asha or PrunerKind.Hyperband when MinResource >= epochs =>
            $"a trial is first judged after min_resource ({MinResource}) epoch(s), never at its last, and budget.epochs is {epochs}",
        _ => null,
    };
}
