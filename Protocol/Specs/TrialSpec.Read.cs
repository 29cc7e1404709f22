using System.Text.Json;
using Mnist.Protocol.Datasets;
using Mnist.Protocol.Hyperparameters;

namespace Mnist.Protocol.Specs;

public sealed partial record TrialSpec
{
    private static readonly string[] KnownKeys =
    [
        HyperparametersKey, EpochsKey, SeedKey, SplitSeedKey, DatasetKey, DataDirKey, DeviceKey, ThreadsKey,
        OutDirKey, TrainSubsetKey, ValidationKey, FullTrainKey, EvaluateTestKey, EvalBatchSizeKey, MaxSecondsKey,
    ];

    /// <summary>
    /// Reads and validates the spec file <paramref name="specPath"/>. <paramref name="dataDirOverride"/> and
    /// <paramref name="outDirOverride"/> (the worker's command line) win over the file's values.
    /// Throws <see cref="SpecException"/> naming the file, the JSON path, the value and what is accepted.
    /// </summary>
    public static TrialSpec Load(string specPath, string? dataDirOverride = null, string? outDirOverride = null)
    {
        string fullPath = Path.GetFullPath(specPath);
        if (!File.Exists(fullPath))
            throw new SpecException($"{specPath}: spec file not found");
        if (Files.RegularFile.Problem(fullPath, 1 << 20) is { } problem)
            throw new SpecException($"{specPath}: {problem}");
        return Parse(File.ReadAllText(fullPath), specPath, Path.GetDirectoryName(fullPath)!, dataDirOverride, outDirOverride);
    }

    /// <summary>Parses spec JSON; relative paths in it resolve against <paramref name="baseDir"/>, overrides against the current directory.</summary>
    public static TrialSpec Parse(string json, string source, string baseDir, string? dataDirOverride = null, string? outDirOverride = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new SpecException($"{source}: not valid JSON ({ex.Message})", ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SpecException($"{source}: $: expected a JSON object, found {root.ValueKind}");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
            {
                if (!KnownKeys.Contains(p.Name))
                    throw new SpecException($"{source}: $.{p.Name}: unknown spec key (known: {string.Join(", ", KnownKeys)})");
                // A key given twice would be read as one of the two without a word (search.json refuses it alike).
                if (!seen.Add(p.Name))
                    throw new SpecException($"{source}: $.{p.Name}: key appears more than once");
            }

            var r = new SpecReader(source);
            // An empty override is an empty option on the command line, not something the spec file says.
            if (dataDirOverride is { } dd && string.IsNullOrWhiteSpace(dd))
                throw new SpecException("--data-dir: empty; give the folder with the IDX files");
            if (outDirOverride is { } od && string.IsNullOrWhiteSpace(od))
                throw new SpecException("--out: empty; give the output folder");
            string? dataDir = dataDirOverride is not null ? Path.GetFullPath(dataDirOverride)
                : r.String(root, DataDirKey) is { } d ? Path.GetFullPath(d, baseDir) : null;
            string? outDir = outDirOverride is not null ? Path.GetFullPath(outDirOverride)
                : r.String(root, OutDirKey) is { } o ? Path.GetFullPath(o, baseDir) : null;
            if (dataDir is null)
                throw new SpecException($"{source}: $.{DataDirKey}: missing (set it in the spec or pass --data-dir)");
            if (outDir is null)
                throw new SpecException($"{source}: $.{OutDirKey}: missing (set it in the spec or pass --out)");

            var spec = new TrialSpec
            {
                Hyperparameters = ReadHyperparameters(root, r),
                Epochs = r.Int(root, EpochsKey, 1, MaxEpochs) ?? 2,
                Seed = r.Int(root, SeedKey, int.MinValue, int.MaxValue) ?? 42,
                SplitSeed = r.Int(root, SplitSeedKey, int.MinValue, int.MaxValue),
                Dataset = r.Choice(root, DatasetKey, DatasetNames.All) ?? DatasetNames.Mnist,
                DataDir = dataDir,
                Device = r.Choice(root, DeviceKey, Devices) ?? "cpu",
                Threads = r.Int(root, ThreadsKey, 1, MaxThreads) ?? 2,
                OutDir = outDir,
                TrainSubset = r.Int(root, TrainSubsetKey, 0, int.MaxValue) is int t and > 0 ? t : null,
                Validation = r.Int(root, ValidationKey, 0, int.MaxValue) ?? 5000,
                FullTrain = r.Bool(root, FullTrainKey) ?? false,
                EvaluateTest = r.Bool(root, EvaluateTestKey) ?? false,
                EvalBatchSize = r.Int(root, EvalBatchSizeKey, 1, 1_000_000) ?? 64,
                MaxSeconds = r.Int(root, MaxSecondsKey, 1, int.MaxValue),
            };
            if (!spec.FullTrain && spec.Validation == 0)
                throw new SpecException($"{source}: $.{ValidationKey}: 0 images leaves nothing to validate on (use full_train: true to train without validation)");
            return spec;
        }
    }

    private static Dictionary<string, object> ReadHyperparameters(JsonElement root, SpecReader r) =>
        !root.TryGetProperty(HyperparametersKey, out var el) || el.ValueKind == JsonValueKind.Null
            ? new Dictionary<string, object>(StringComparer.Ordinal)
            : ReadHyperparameterObject(el, r.Source, HyperparametersKey);

    /// <summary>
    /// Reads a hyperparameters object against <see cref="HyperparameterTable"/>'s ranges; errors name
    /// <paramref name="source"/> and <c>$.<paramref name="at"/>.name</c>. Also reads a checkpoint sidecar's
    /// <c>architecture</c>, so a hand-edited sidecar cannot ask for a network no spec could (issue 11).
    /// </summary>
    public static Dictionary<string, object> ReadHyperparameterObject(JsonElement el, string source, string at)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        if (el.ValueKind != JsonValueKind.Object)
            throw new SpecException($"{source}: $.{at}: expected an object, found {el.ValueKind}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in el.EnumerateObject())
        {
            var path = $"$.{at}.{p.Name}";
            var row = HyperparameterTable.Find(p.Name)
                ?? throw new SpecException($"{source}: {path}: unknown hyperparameter (known: {HyperparameterTable.Listing})");
            if (!seen.Add(p.Name))
                throw new SpecException($"{source}: {path}: key appears more than once");
            if (p.Value.ValueKind == JsonValueKind.Null) continue;
            var value = SpecReader.Plain(p.Value);
            if (row.Refusal(value) is not null)
                throw new SpecException($"{source}: {path}: {SpecReader.Show(p.Value)} is not valid (expected {row.AllowedValues})");
            values[p.Name] = row.Canonical(value!);
        }
        return values;
    }
}
