using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Datasets;

namespace Mnist.Protocol.Specs;

/// <summary>
/// One trial as the coordinator asks for it and the worker runs it (docs/worker-protocol.md, "Spec").
/// The coordinator builds one and calls <see cref="Write"/>; the worker calls <see cref="Load"/>, which
/// validates every key against the same limits. <see cref="Hyperparameters"/> holds the values the file
/// gives (canonical: long, double, bool, string); <see cref="ResolvedHyperparameters"/> fills in the
/// table's defaults.
/// </summary>
public sealed partial record TrialSpec
{
    private const string HyperparametersKey = "hyperparameters";
    private const string EpochsKey = "epochs";
    private const string SeedKey = "seed";
    private const string SplitSeedKey = "split_seed";
    private const string DatasetKey = "dataset";
    private const string DataDirKey = "data_dir";
    private const string DeviceKey = "device";
    private const string ThreadsKey = "threads";
    private const string OutDirKey = "out_dir";
    private const string TrainSubsetKey = "train_subset";
    private const string ValidationKey = "validation";
    private const string FullTrainKey = "full_train";
    private const string EvaluateTestKey = "evaluate_test";
    private const string EvalBatchSizeKey = "eval_batch_size";
    private const string MaxSecondsKey = "max_seconds";

    /// <summary>The devices a spec may name; the coordinator pins a GPU with <c>CUDA_VISIBLE_DEVICES</c>, so the worker sees <c>cuda</c>.</summary>
    public static IReadOnlyList<string> Devices { get; } = ["cpu", "cuda", "auto"];

    /// <summary>Largest <see cref="Epochs"/> the worker runs (<c>budget.epochs</c> and <c>retrain.epochs</c> share it).</summary>
    public const int MaxEpochs = 10_000;

    /// <summary>Largest <see cref="Threads"/> (<c>devices.threads_per_slot</c> shares it).</summary>
    public const int MaxThreads = 1024;

    public IReadOnlyDictionary<string, object> Hyperparameters { get; init; } = new Dictionary<string, object>();
    public int Epochs { get; init; } = 2;
    public int Seed { get; init; } = 42;

    /// <summary>Seed of the validation hold-out; defaults to <see cref="Seed"/>. Fixed across a study so every trial validates on the same images.</summary>
    public int? SplitSeed { get; init; }

    public string Dataset { get; init; } = DatasetNames.Mnist;
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

    /// <summary>
    /// Wall-time budget of the whole run in seconds; null = none. After each epoch the worker re-plans: when the
    /// mean epoch so far says <see cref="Epochs"/> would not end within it, it plans fewer (never fewer than it has
    /// run) and the learning-rate schedule anneals over the new total, so a cut run still ends annealed. The
    /// coordinator sets it from <c>retrain.max_minutes</c>.
    /// </summary>
    public int? MaxSeconds { get; init; }

    public int EffectiveSplitSeed => SplitSeed ?? Seed;

    /// <summary><see cref="Hyperparameters"/> over the table's defaults: every known name has a value.</summary>
    public IReadOnlyDictionary<string, object> ResolvedHyperparameters
    {
        get
        {
            var all = new Dictionary<string, object>(Mnist.Protocol.Hyperparameters.HyperparameterTable.Defaults, StringComparer.Ordinal);
            foreach (var (name, value) in Hyperparameters) all[name] = value;
            return all;
        }
    }

    /// <summary>The spec as JSON, every key written (null for an unset optional one).</summary>
    public JsonObject ToJson()
    {
        var hp = new JsonObject();
        foreach (var (name, value) in Hyperparameters) hp[name] = ToNode(value);
        return new JsonObject
        {
            [HyperparametersKey] = hp,
            [EpochsKey] = Epochs,
            [SeedKey] = Seed,
            [SplitSeedKey] = SplitSeed,
            [DatasetKey] = Dataset,
            [DataDirKey] = DataDir,
            [DeviceKey] = Device,
            [ThreadsKey] = Threads,
            [OutDirKey] = OutDir,
            [TrainSubsetKey] = TrainSubset,
            [ValidationKey] = Validation,
            [FullTrainKey] = FullTrain,
            [EvaluateTestKey] = EvaluateTest,
            [EvalBatchSizeKey] = EvalBatchSize,
            [MaxSecondsKey] = MaxSeconds,
        };
    }

    /// <summary>Writes the spec to <paramref name="path"/> (a temporary file renamed into place) and returns the path.</summary>
    public string Write(string path)
    {
        Files.Durable.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        JsonNode n => n.DeepClone(),
        _ => throw new ArgumentException($"hyperparameter values are numbers, booleans or strings, not {value.GetType().Name}", nameof(value)),
    };
}
