using Mnist.Search.Space;

namespace Mnist.Search.Config;

/// <summary>
/// A validated <c>search.json</c>. Paths are absolute (relative ones were resolved against the config
/// file's folder); <see cref="Space"/> keeps the declaration order; <see cref="Fixed"/> holds plain
/// values (long, double, bool or string) in declaration order.
/// </summary>
public sealed record StudyConfig(
    string Study,
    string SourcePath,
    DatasetConfig Dataset,
    ObjectiveConfig Objective,
    SearchSpace Space,
    IReadOnlyList<KeyValuePair<string, object>> Fixed,
    BudgetConfig Budget,
    SamplerConfig Sampler,
    PrunerConfig Pruner,
    DevicesConfig Devices,
    RetrainConfig Retrain,
    string Storage,
    WorkerConfig? Worker,
    SelectionConfig Selection)
{
    /// <summary>The folder of the config file; relative paths in it are relative to this.</summary>
    public string BaseDirectory => Path.GetDirectoryName(SourcePath)!;

    /// <summary>"FILE: $.pruner: …" when the pruner can prune nothing with these epochs (<see cref="PrunerConfig.PrunesNothing"/>), else null.</summary>
    public string? IdlePrunerWarning => Pruner.PrunesNothing(Budget.Epochs) is { } why
        ? $"{SourcePath}: $.pruner: \"{Pruner.Kind.ToString().ToLowerInvariant()}\" prunes nothing: {why} (raise budget.epochs, or set pruner.kind \"none\")"
        : null;
}
