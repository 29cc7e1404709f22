using System.Globalization;
using System.Text.Json;

namespace Mnist.Trials.Protocol;

/// <summary>
/// Reads a spec file (docs/worker-protocol.md) into a <see cref="TrialSpec"/>. Every problem becomes a
/// <see cref="SpecException"/> naming the file, the JSON path and the offending value.
/// </summary>
internal static class SpecLoader
{
    private static readonly string[] KnownTopLevel =
    [
        "hyperparameters", "epochs", "seed", "split_seed", "dataset", "data_dir", "device", "threads",
        "out_dir", "train_subset", "validation", "full_train", "evaluate_test", "eval_batch_size",
    ];

    /// <summary>Loads <paramref name="specPath"/>; <paramref name="dataDirOverride"/> and <paramref name="outDirOverride"/> (from the command line) win over the file's values.</summary>
    public static TrialSpec Load(string specPath, string? dataDirOverride = null, string? outDirOverride = null)
    {
        string fullPath = Path.GetFullPath(specPath);
        if (!File.Exists(fullPath))
            throw new SpecException($"{specPath}: spec file not found");
        string text = File.ReadAllText(fullPath);
        string baseDir = Path.GetDirectoryName(fullPath)!;
        return Parse(text, specPath, baseDir, dataDirOverride, outDirOverride);
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
            var r = new Reader(source);
            foreach (var p in root.EnumerateObject())
            {
                if (!KnownTopLevel.Contains(p.Name))
                    throw new SpecException($"{source}: $.{p.Name}: unknown spec key (known: {string.Join(", ", KnownTopLevel)})");
            }

            var hp = root.TryGetProperty("hyperparameters", out var hpEl) && hpEl.ValueKind != JsonValueKind.Null
                ? ParseHyperparameters(hpEl, r)
                : new Hyperparameters();

            string? dataDir = dataDirOverride is not null ? Path.GetFullPath(dataDirOverride)
                : r.String(root, "data_dir", null) is { } d ? Path.GetFullPath(d, baseDir) : null;
            string? outDir = outDirOverride is not null ? Path.GetFullPath(outDirOverride)
                : r.String(root, "out_dir", null) is { } o ? Path.GetFullPath(o, baseDir) : null;
            if (dataDir is null)
                throw new SpecException($"{source}: $.data_dir: missing (set it in the spec or pass --data-dir)");
            if (outDir is null)
                throw new SpecException($"{source}: $.out_dir: missing (set it in the spec or pass --out)");

            string dataset = r.Choice(root, "dataset", "mnist", ["mnist", "fashion-mnist"]);
            var spec = new TrialSpec
            {
                Hyperparameters = hp,
                Epochs = r.Int(root, "epochs", 2, 1, 10_000),
                Seed = r.Int(root, "seed", 42, int.MinValue, int.MaxValue),
                SplitSeed = r.NullableInt(root, "split_seed", int.MinValue, int.MaxValue),
                Dataset = dataset,
                DataDir = dataDir,
                Device = r.Choice(root, "device", "cpu", ["cpu", "cuda", "auto"]),
                Threads = r.Int(root, "threads", 2, 1, 1024),
                OutDir = outDir,
                TrainSubset = r.NullableInt(root, "train_subset", 0, int.MaxValue) is int t and > 0 ? t : null,
                Validation = r.Int(root, "validation", 5000, 0, int.MaxValue),
                FullTrain = r.Bool(root, "full_train", false),
                EvaluateTest = r.Bool(root, "evaluate_test", false),
                EvalBatchSize = r.Int(root, "eval_batch_size", 64, 1, 1_000_000),
            };
            if (!spec.FullTrain && spec.Validation == 0)
                throw new SpecException($"{source}: $.validation: 0 images leaves nothing to validate on (use full_train: true to train without validation)");
            return spec;
        }
    }

    /// <summary>
    /// Reads a hyperparameters object with the spec's ranges (also used for a checkpoint sidecar's
    /// <c>architecture</c>, so a hand-edited sidecar cannot ask for a 1e8-channel network); errors name
    /// <paramref name="source"/> and <c>$.<paramref name="at"/>.key</c>.
    /// </summary>
    internal static Hyperparameters ReadHyperparameters(JsonElement el, string source, string at) =>
        ParseHyperparameters(el, new Reader(source), at);

    private static Hyperparameters ParseHyperparameters(JsonElement el, Reader r, string at = "hyperparameters")
    {
        if (el.ValueKind != JsonValueKind.Object)
            throw new SpecException($"{r.Source}: $.{at}: expected an object, found {el.ValueKind}");
        var d = new Hyperparameters();
        string[] known =
        [
            "conv_layers", "conv1_channels", "conv2_channels", "conv3_channels", "conv4_channels", "kernel_size",
            "batch_norm", "fc_layers", "fc_width", "fc2_width", "dropout", "optimizer", "learning_rate", "momentum",
            "weight_decay", "lr_schedule", "lr_step_size", "lr_gamma", "batch_size", "rotation_degrees",
            "translate_fraction", "scale_fraction",
        ];
        foreach (var p in el.EnumerateObject())
        {
            if (!known.Contains(p.Name))
                throw new SpecException($"{r.Source}: $.{at}.{p.Name}: unknown hyperparameter (known: {string.Join(", ", known)})");
        }
        var h = r.Nested(at);
        var hp = new Hyperparameters
        {
            ConvLayers = h.Int(el, "conv_layers", d.ConvLayers, 1, 4),
            Conv1Channels = h.Int(el, "conv1_channels", d.Conv1Channels, 1, 1024),
            Conv2Channels = h.Int(el, "conv2_channels", d.Conv2Channels, 1, 1024),
            Conv3Channels = h.Int(el, "conv3_channels", d.Conv3Channels, 1, 1024),
            Conv4Channels = h.Int(el, "conv4_channels", d.Conv4Channels, 1, 1024),
            KernelSize = h.Int(el, "kernel_size", d.KernelSize, 1, 7),
            BatchNorm = h.Bool(el, "batch_norm", d.BatchNorm),
            FcLayers = h.Int(el, "fc_layers", d.FcLayers, 1, 2),
            FcWidth = h.Int(el, "fc_width", d.FcWidth, 1, 8192),
            Fc2Width = h.Int(el, "fc2_width", d.Fc2Width, 1, 8192),
            Dropout = h.Double(el, "dropout", d.Dropout, 0, 0.95),
            Optimizer = h.Choice(el, "optimizer", d.Optimizer, ["adam", "sgd"]),
            LearningRate = h.Double(el, "learning_rate", d.LearningRate, 0, double.MaxValue, minExclusive: true),
            Momentum = h.Double(el, "momentum", d.Momentum, 0, 0.999),
            WeightDecay = h.Double(el, "weight_decay", d.WeightDecay, 0, 1),
            LrSchedule = h.Choice(el, "lr_schedule", d.LrSchedule, ["none", "cosine", "step"]),
            LrStepSize = h.Int(el, "lr_step_size", d.LrStepSize, 1, 10_000),
            LrGamma = h.Double(el, "lr_gamma", d.LrGamma, 0, 1, minExclusive: true),
            BatchSize = h.Int(el, "batch_size", d.BatchSize, 1, 65_536),
            RotationDegrees = h.Double(el, "rotation_degrees", d.RotationDegrees, 0, 180),
            TranslateFraction = h.Double(el, "translate_fraction", d.TranslateFraction, 0, 0.5),
            ScaleFraction = h.Double(el, "scale_fraction", d.ScaleFraction, 0, 0.5),
        };
        if (hp.KernelSize % 2 == 0)
            throw new SpecException($"{r.Source}: $.{at}.kernel_size: {hp.KernelSize} is even (expected an odd size, so padding keeps the image size)");
        return hp;
    }

    /// <summary>Typed, range-checked reads of optional properties; null or absent means the default.</summary>
    private sealed class Reader(string source, string prefix = "")
    {
        public string Source => source;

        public Reader Nested(string name) => new(source, prefix + name + ".");

        private string PathOf(string name) => $"$.{prefix}{name}";

        private SpecException Bad(string name, JsonElement v, string expected) =>
            new($"{source}: {PathOf(name)}: {Show(v)} is not valid (expected {expected})");

        private static string Show(JsonElement v) => v.ValueKind == JsonValueKind.String ? $"\"{v.GetString()}\"" : v.GetRawText();

        private static bool TryGet(JsonElement obj, string name, out JsonElement v) =>
            obj.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Null;

        public int? NullableInt(JsonElement obj, string name, int min, int max)
        {
            if (!TryGet(obj, name, out var v)) return null;
            string expected = $"an integer in {min}..{max}";
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || x != Math.Floor(x) || x < min || x > max)
                throw Bad(name, v, expected);
            // Samplers may send integers as 32.0; accept any integral number.
            return (int)x;
        }

        public int Int(JsonElement obj, string name, int fallback, int min, int max) => NullableInt(obj, name, min, max) ?? fallback;

        public double Double(JsonElement obj, string name, double fallback, double min, double max, bool minExclusive = false)
        {
            if (!TryGet(obj, name, out var v)) return fallback;
            string low = minExclusive ? "(" : "[";
            string expected = max == double.MaxValue
                ? $"a finite number {(minExclusive ? ">" : ">=")} {min.ToString(CultureInfo.InvariantCulture)}"
                : $"a number in {low}{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]";
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || !double.IsFinite(x)
                || x > max || x < min || (minExclusive && x <= min))
                throw Bad(name, v, expected);
            return x;
        }

        public bool Bool(JsonElement obj, string name, bool fallback)
        {
            if (!TryGet(obj, name, out var v)) return fallback;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad(name, v, "true or false"),
            };
        }

        public string? String(JsonElement obj, string name, string? fallback)
        {
            if (!TryGet(obj, name, out var v)) return fallback;
            if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
                throw Bad(name, v, "a non-empty string");
            return v.GetString();
        }

        public string Choice(JsonElement obj, string name, string fallback, string[] choices)
        {
            if (!TryGet(obj, name, out var v)) return fallback;
            string? s = v.ValueKind == JsonValueKind.String ? v.GetString()?.ToLowerInvariant() : null;
            if (s is null || !choices.Contains(s))
                throw Bad(name, v, "one of " + string.Join(", ", choices.Select(c => $"\"{c}\"")));
            return s;
        }
    }
}
