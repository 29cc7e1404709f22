namespace Mnist.Trials.Protocol;

/// <summary>
/// One trial as the worker runs it: the parsed spec file with defaults applied and paths resolved to
/// absolute ones (relative paths in a spec resolve against the spec file's folder).
/// </summary>
internal sealed record TrialSpec
{
    public Hyperparameters Hyperparameters { get; init; } = new();
    public int Epochs { get; init; } = 2;
    public int Seed { get; init; } = 42;

    /// <summary>Seed of the validation hold-out; defaults to <see cref="Seed"/>. Fix it across a study to compare trials on one validation set.</summary>
    public int? SplitSeed { get; init; }

    public string Dataset { get; init; } = "mnist";
    public required string DataDir { get; init; }
    public string Device { get; init; } = "cpu";
    public int Threads { get; init; } = 2;
    public required string OutDir { get; init; }

    /// <summary>Images to train on after the validation hold-out; null = all of them.</summary>
    public int? TrainSubset { get; init; }

    public int Validation { get; init; } = 5000;
    public bool FullTrain { get; init; }
    public bool EvaluateTest { get; init; }

    /// <summary>Batch size of evaluation passes (validation, test). Small batches are faster on CPU.</summary>
    public int EvalBatchSize { get; init; } = 64;

    public int EffectiveSplitSeed => SplitSeed ?? Seed;
}
