using System.Text.Json;
using System.Text.RegularExpressions;
using Mnist.Protocol.Datasets;
using Mnist.Protocol.Files;
using Mnist.Protocol.Specs;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Config;

/// <summary>
/// Reads and validates <c>search.json</c>. Loading only reads: nothing is created on disk. Every problem
/// is reported as a <see cref="ConfigException"/> with the file, the JSON path and the bad value.
/// </summary>
internal static partial class StudyConfigLoader
{
    private static readonly string[] TopLevelKeys =
        ["study", "dataset", "objective", "space", "fixed", "budget", "sampler", "pruner", "devices", "retrain", "storage", "worker", "selection"];

    // A study configuration is a few kilobytes; a larger file is not one.
    private const long MaxConfigBytes = 16 << 20;

    public static StudyConfig Load(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ConfigException("a config file path is required, got an empty one", path ?? "", "$");
        var reader = new ConfigReader(path);
        // A folder, pipe or device is named as such before it is opened (a FIFO blocked the command, /dev/zero would
        // be read until memory ran out, a folder read as "access denied"); a missing file is reported below.
        if ((File.Exists(path) || Directory.Exists(path)) && RegularFile.Problem(path, MaxConfigBytes) is { } problem)
            throw reader.Error("$", $"the config file {problem}");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw reader.Error("$", "config file not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw reader.Error("$", $"cannot read the config file ({e.Message})");
        }
        return Parse(text, path);
    }

    /// <summary>
    /// Validates <paramref name="json"/> as if it were the content of <paramref name="path"/>. <paramref name="stored"/>:
    /// the configuration a study was created with, read back from storage (resume, workers), where rules added since it
    /// was created (a searched hyperparameter the model never reads) are not applied: they would strand the study.
    /// </summary>
    public static StudyConfig Parse(string json, string path, bool stored = false)
    {
        var reader = new ConfigReader(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}, column {e.BytePositionInLine + 1}" : "$";
            throw new ConfigException($"{path}: {where}: invalid JSON ({FirstSentence(e.Message)})", path, "$", e);
        }

        using (document)
            return Build(reader, document.RootElement, Path.GetDirectoryName(Path.GetFullPath(path))!, stored);
    }

    private static StudyConfig Build(ConfigReader reader, JsonElement rootElement, string baseDir, bool stored)
    {
        var root = reader.Object(rootElement, "$", TopLevelKeys);

        var study = root.RequiredString("study");
        if (!StudyName().IsMatch(study))
            throw reader.Error("$.study", "must be 1-100 ASCII letters (a-z, A-Z), digits, '.', '_' or '-', starting with a letter or digit (it names folders)", root.Required("study"));
        // studies/CON/ cannot be made on Windows, where these name devices in any case and before any extension. Only for a
        // configuration file: a study stored before names were checked (`con.v2`, a convnet's) must still resume.
        if (!stored && WindowsDeviceName().IsMatch(study))
            throw reader.Error("$.study", "is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9, in any case, also before a '.'), which cannot name a folder there; choose another name", root.Required("study"));

        var worker = ReadWorker(reader, root, baseDir);
        // A custom trainer may take other hyperparameters; only the built-in worker's names are checked.
        var checkNames = worker is null;

        var dataset = ReadDataset(reader, root, baseDir);
        var objective = ReadObjective(reader, root);
        var space = ReadSpace(reader, root, checkNames);
        var fixedValues = ReadFixed(reader, root, space, checkNames);
        if (checkNames && !stored) RefuseUnused(reader, space, fixedValues);
        var budget = ReadBudget(reader, root);
        var sampler = ReadSampler(reader, root);
        var pruner = ReadPruner(reader, root, budget, stored);
        var devices = ReadDevices(reader, root);
        var retrain = ReadRetrain(reader, root, budget);
        var storage = ReadStorage(reader, root, study, baseDir);
        var selection = ReadSelection(reader, root, budget);

        return new StudyConfig(
            study, Path.Combine(baseDir, Path.GetFileName(reader.FilePath)), dataset, objective, space, fixedValues,
            budget, sampler, pruner, devices, retrain, storage, worker, selection);
    }

    private static DatasetConfig ReadDataset(ConfigReader reader, ConfigObject root, string baseDir)
    {
        var d = reader.Object(root.Required("dataset"), "$.dataset", ["name", "dir", "validation", "train_subset", "split_seed"]);
        var name = reader.OneOf(d.Required("name"), "$.dataset.name", [.. DatasetNames.All]);
        var dir = d.OptionalPath("dir") ?? Path.Combine("data", name);
        if (dir.Length == 0)
            throw reader.Error("$.dataset.dir", "must not be empty", d.Required("dir"));
        // At least one image: the worker refuses a search trial with nothing to validate on (issue 10).
        var validation = d.Int("validation", 5000, 1, DatasetNames.TrainImages - 1);
        var subset = d.OptionalInt("train_subset", 0, DatasetNames.TrainImages);
        if (subset is > 0 && subset + validation > DatasetNames.TrainImages)
            throw reader.Error("$.dataset.train_subset",
                $"train_subset + validation must not exceed the {DatasetNames.TrainImages} training images (validation is {validation})",
                d.Required("train_subset"));
        // Which images are held out; by default the sampler's seed. Fixing it apart from the seed lets studies of
        // several sampler seeds optimize one objective (one validation set), as bench/search does.
        var splitSeed = d.OptionalInt("split_seed", 0);
        return new DatasetConfig(name, Path.GetFullPath(dir, baseDir), validation, subset is 0 ? null : subset, splitSeed);
    }

    private static ObjectiveConfig ReadObjective(ConfigReader reader, ConfigObject root)
    {
        if (!root.TryGet("objective", out var element))
            return new ObjectiveConfig(ObjectiveConfig.ValAccuracy, StudyDirection.MAXIMIZE);
        var o = reader.Object(element, "$.objective", ["metric", "direction"]);
        var metric = o.OneOf("metric", ObjectiveConfig.ValAccuracy, ObjectiveConfig.ValAccuracy, ObjectiveConfig.ValLoss);
        var natural = metric == ObjectiveConfig.ValAccuracy ? "maximize" : "minimize";
        var direction = o.OneOf("direction", natural, "maximize", "minimize");
        // Maximizing a loss (or minimizing accuracy) searches for the worst model: always a typo.
        if (direction != natural)
            throw reader.Error("$.objective.direction", $"{metric} must be {natural}d", o.Required("direction"));
        return new ObjectiveConfig(metric, direction == "maximize" ? StudyDirection.MAXIMIZE : StudyDirection.MINIMIZE);
    }

    private static BudgetConfig ReadBudget(ConfigReader reader, ConfigObject root)
    {
        var b = reader.Object(root.Required("budget"), "$.budget",
            ["trials", "epochs", "max_concurrent", "timeout_minutes", "trial_timeout_minutes", "max_consecutive_failures"]);
        var trials = reader.Int(b.Required("trials"), "$.budget.trials", 1, 1_000_000);
        return new BudgetConfig(
            trials,
            b.Int("epochs", 2, 1, TrialSpec.MaxEpochs),
            b.Int("max_concurrent", 1, 1, 1024),
            b.Minutes("timeout_minutes"),
            b.Minutes("trial_timeout_minutes"),
            b.Int("max_consecutive_failures", BudgetConfig.DefaultMaxConsecutiveFailures, 1, 1_000_000));
    }

    private static SelectionConfig ReadSelection(ConfigReader reader, ConfigObject root, BudgetConfig budget)
    {
        if (!root.TryGet("selection", out var element))
            return SelectionConfig.None;
        var s = reader.Object(element, "$.selection", ["candidates", "repeats"]);
        var selection = new SelectionConfig(s.Int("candidates", 3, 1, 100), s.Int("repeats", 2, 1, 100));
        // The repeats are trials of the budget: some must be left to search with.
        if (selection.Trials >= budget.Trials)
            throw reader.Error("$.selection",
                $"candidates x repeats ({selection.Candidates} x {selection.Repeats} = {selection.Trials}) must be less than budget.trials ({budget.Trials}): the repeats are trials of the budget");
        return selection;
    }

    private static SamplerConfig ReadSampler(ConfigReader reader, ConfigObject root)
    {
        if (!root.TryGet("sampler", out var element))
            return new SamplerConfig(SamplerKind.Gp, SamplerConfig.DefaultStartupTrials, null);
        var kindObject = reader.Object(element, "$.sampler", ["kind", "startup_trials", "seed"]);
        var kind = kindObject.OneOf("kind", "gp", "gp", "tpe", "random");
        var s = kind == "random" ? reader.Object(element, "$.sampler", ["kind", "seed"]) : kindObject;
        return new SamplerConfig(
            kind switch { "gp" => SamplerKind.Gp, "tpe" => SamplerKind.Tpe, _ => SamplerKind.Random },
            s.Int("startup_trials", SamplerConfig.DefaultStartupTrials, 0),
            s.OptionalInt("seed", 0));
    }

    private static PrunerConfig ReadPruner(ConfigReader reader, ConfigObject root, BudgetConfig budget, bool stored)
    {
        if (!root.TryGet("pruner", out var element))
            return PrunerConfig.None;
        var probe = reader.Object(element, "$.pruner",
            ["kind", "startup_trials", "warmup_epochs", "interval", "min_resource", "reduction_factor"]);
        var kind = reader.OneOf(probe.Required("kind"), "$.pruner.kind", "none", "median", "asha", "hyperband");
        switch (kind)
        {
            case "none":
                reader.Object(element, "$.pruner", ["kind"]);
                return PrunerConfig.None;
            case "median":
            {
                var p = reader.Object(element, "$.pruner", ["kind", "startup_trials", "warmup_epochs", "interval"]);
                var warmup = p.Int("warmup_epochs", 0, 0);
                // The first warmup_epochs epochs are not judged, nor the last (the trial completes): some epoch between
                // must be left. Not for a stored configuration: a study created when one warm-up epoch of two was allowed
                // resumes (its trials are then not pruned).
                if (!stored && warmup >= budget.Epochs - 1 && p.TryGet("warmup_epochs", out var givenWarmup))
                    throw reader.Error("$.pruner.warmup_epochs",
                        $"must be less than budget.epochs - 1 ({budget.Epochs - 1}): the warm-up epochs and the last epoch are never pruned, so nothing would be", givenWarmup);
                return new PrunerConfig(PrunerKind.Median,
                    StartupTrials: p.Int("startup_trials", PrunerConfig.DefaultStartupTrials, 0),
                    WarmupEpochs: warmup,
                    Interval: p.Int("interval", 1, 1));
            }
            default:
            {
                var p = reader.Object(element, "$.pruner", ["kind", "min_resource", "reduction_factor"]);
                var minResource = p.Int("min_resource", 1, 1);
                if (minResource >= budget.Epochs && p.TryGet("min_resource", out var given))
                    throw reader.Error("$.pruner.min_resource",
                        $"must be less than budget.epochs ({budget.Epochs}), or nothing is ever pruned", given);
                return new PrunerConfig(kind == "hyperband" ? PrunerKind.Hyperband : PrunerKind.Asha,
                    MinResource: minResource,
                    ReductionFactor: p.Int("reduction_factor", PrunerConfig.DefaultReductionFactor, 2, 100));
            }
        }
    }

    private static DevicesConfig ReadDevices(ConfigReader reader, ConfigObject root)
    {
        if (!root.TryGet("devices", out var element))
            return DevicesConfig.Auto;
        const string path = "$.devices";
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
            {
                // "cuda:0" was refused as 'expected one of "auto", "cpu"', which hid the list and object forms.
                var word = reader.String(element, path);
                if (word == "auto") return DevicesConfig.Auto;
                if (word == "cpu") return new DevicesConfig(DevicesMode.Cpu, []);
                throw reader.Error(path, DevicesConfig.NormalizeEntry(word) is { } id && id != "cpu"
                    ? $"a device goes in a list, [\"{id}\"] (expected {DevicesForms})"
                    : $"expected {DevicesForms}", element);
            }
            case JsonValueKind.Array:
            {
                var ids = new List<string>();
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    var itemPath = $"{path}[{index++}]";
                    var id = DevicesConfig.NormalizeEntry(reader.String(item, itemPath))
                        ?? throw reader.Error(itemPath, $"expected {DevicesConfig.EntryForms}", item);
                    if (id != "cpu" && ids.Contains(id))
                        throw reader.Error(itemPath, "device listed twice", item);
                    ids.Add(id);
                }
                if (ids.Count == 0)
                    throw reader.Error(path, "must list at least one device", element);
                return new DevicesConfig(DevicesMode.List, ids);
            }
            case JsonValueKind.Object when IsGpuPackingForm(element):
                return ReadGpuPacking(reader, element);
            case JsonValueKind.Object:
            {
                var d = reader.Object(element, path, ["cpu_slots", "threads_per_slot"]);
                return new DevicesConfig(DevicesMode.Cpu, [],
                    reader.Int(d.Required("cpu_slots"), "$.devices.cpu_slots", 1, 1024),
                    d.OptionalInt("threads_per_slot", 1, TrialSpec.MaxThreads));
            }
            default:
                throw reader.Error(path, $"expected {DevicesForms}", element);
        }
    }

    private const string DevicesForms = "\"auto\", \"cpu\", a list such as [\"cuda:0\"], {\"cpu_slots\": N} or {\"gpus\": \"auto\", \"trials_per_gpu\": N}";

    private static RetrainConfig ReadRetrain(ConfigReader reader, ConfigObject root, BudgetConfig budget)
    {
        if (!root.TryGet("retrain", out var element))
            return new RetrainConfig(false, budget.Epochs);
        var r = reader.Object(element, "$.retrain", ["enabled", "epochs", "max_minutes"]);
        // Writing a retrain section at all says the user wants it; "enabled": false turns it off.
        return new RetrainConfig(r.Bool("enabled", true), r.Int("epochs", budget.Epochs, 1, TrialSpec.MaxEpochs), r.Minutes("max_minutes"));
    }

    private static string ReadStorage(ConfigReader reader, ConfigObject root, string study, string baseDir)
    {
        if (!root.TryGet("storage", out var element))
            return StorageUrl.ForSqlite(StudyPaths.DefaultDatabase(baseDir, study));
        var storage = reader.String(element, "$.storage");
        // Parsed as --storage is (Storage/StorageUrl), so both take the same spellings and refuse the same mistakes:
        // a parser of its own here read sqlite://foo.db as /foo.db and sqlite::memory: as a file named ":memory:".
        StorageUrl parsed;
        try { parsed = StorageUrl.Parse(storage, baseDir); }
        catch (FormatException e) { throw reader.Error("$.storage", e.Message); }
        return parsed.Kind == StorageKind.Sqlite ? StorageUrl.ForSqlite(parsed.Target) : storage;
    }

    private static WorkerConfig? ReadWorker(ConfigReader reader, ConfigObject root, string baseDir)
    {
        if (!root.TryGet("worker", out var element))
            return null;
        var w = reader.Object(element, "$.worker", ["command"]);
        var command = w.Required("command");
        if (command.ValueKind != JsonValueKind.Array || command.GetArrayLength() == 0)
            throw reader.Error("$.worker.command", "expected a non-empty list: program, then arguments", command);
        var parts = new List<string>();
        var index = 0;
        foreach (var item in command.EnumerateArray())
        {
            var itemPath = $"$.worker.command[{index++}]";
            var part = parts.Count == 0 ? reader.PathString(item, itemPath) : reader.String(item, itemPath);
            if (part.Length == 0 && parts.Count == 0)
                throw reader.Error(itemPath, "the program must not be empty", item);
            parts.Add(part.StartsWith("./", StringComparison.Ordinal) || part.StartsWith("../", StringComparison.Ordinal)
                ? Path.GetFullPath(part, baseDir)
                : part);
        }
        return new WorkerConfig(parts);
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).ReplaceLineEndings(" ").Trim();
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex StudyName();

    [GeneratedRegex(@"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\.|$)", RegexOptions.IgnoreCase)]
    private static partial Regex WindowsDeviceName();
}
