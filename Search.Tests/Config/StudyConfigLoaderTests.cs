using Mnist.Search.Cli;
using Mnist.Search.Config;
using Mnist.Search.Pruning;
using Mnist.Search.Scheduling;
using Mnist.Search.Space;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Config;

public sealed class StudyConfigLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string json, string name = "search.json")
    {
        var path = _folder.Combine(name);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void WritingOutADefaultIsNoChangeOnResumeButChangingWhatIsInEffectIs()
    {
        // Given the example (sampler seed 42 written, no split seed, no trial timeout)
        var stored = StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "stored.json"));

        // When the resumed configuration writes out what was in effect: the split seed (the sampler seed), the trial timeout
        var same = StudyConfigLoader.Load(Write(ConfigJson.Patch("budget.trial_timeout_minutes", "10", ConfigJson.Patch("dataset.split_seed", "42")), "same.json"));
        var other = StudyConfigLoader.Load(Write(ConfigJson.Patch("dataset.split_seed", "7"), "other.json"));

        // Then that is no change (it was refused as one: "split_seed = null; the configuration says 42"), while another split seed is refused
        Assert.Empty(ConfigChanges.Between(stored, same));
        var change = Assert.Single(ConfigChanges.Between(stored, other));
        Assert.Equal(("dataset.split_seed", "42", "7", true), (change.Key, change.Stored, change.Now, change.Refused));
    }

    [Fact]
    public void ASectionIsComparedKeyByKeyInAnyOrderAndEachChangeIsNamedAsSearchJsonWritesIt()
    {
        // Given the example (fixed: optimizer adam, batch_norm true; pruner none)
        var stored = StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "stored.json"));

        // When the resumed configuration lists fixed in another order, and another when it also changes the pruner and a fixed value
        var reordered = StudyConfigLoader.Load(Write(ConfigJson.Patch("fixed", """{ "batch_norm": true, "optimizer": "adam" }"""), "reordered.json"));
        var changed = StudyConfigLoader.Load(Write(ConfigJson.Patch("pruner", """{ "kind": "asha" }""",
            ConfigJson.Patch("fixed", """{ "batch_norm": false, "optimizer": "adam" }""")), "changed.json"));

        // Then the order is no change (it was refused: "exists with fixed = {...}; the configuration says {...}", the same
        // pairs in another order), and a change names the key and the values in search.json's words (it showed C# records)
        Assert.Empty(ConfigChanges.Between(stored, reordered));
        var changes = ConfigChanges.Between(stored, changed);
        Assert.Equal(("fixed.batch_norm", "true", "false", true), (changes[0].Key, changes[0].Stored, changes[0].Now, changes[0].Refused));
        Assert.Contains(changes, c => (c.Key, c.Stored, c.Now, c.Refused) == ("pruner.kind", "\"none\"", "\"asha\"", false));
        Assert.DoesNotContain(changes, c => c.Key.Any(char.IsUpper) || c.Stored.Contains("Kind") || c.Now.Contains("Asha"));
    }

    [Fact]
    public void AFixedValueWrittenOutAtTheDefaultItsTrialsRanWithIsNoChange()
    {
        // Given the example, which leaves kernel_size to its default (3)
        var stored = StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "stored.json"));

        // When the resumed configuration writes out kernel_size 3, and another sets it to 5
        var same = StudyConfigLoader.Load(Write(ConfigJson.Patch("fixed.kernel_size", "3"), "same.json"));
        var other = StudyConfigLoader.Load(Write(ConfigJson.Patch("fixed.kernel_size", "5"), "other.json"));

        // Then the default written out is no change (it was refused as "fixed.kernel_size = null; the configuration
        // says 3"), and another value is refused naming the value the trials ran with
        Assert.Empty(ConfigChanges.Between(stored, same));
        var change = Assert.Single(ConfigChanges.Between(stored, other));
        Assert.Equal(("fixed.kernel_size", "3", "5", true), (change.Key, change.Stored, change.Now, change.Refused));
    }

    [Fact]
    public void ForAnotherWorkerProgramAFixedValueWrittenOutIsAChange()
    {
        // Given a study run by another worker program, which gets only what is written (and has defaults of its own)
        var custom = ConfigJson.Patch("worker", """{"command": ["my-worker", "{spec}"]}""");
        var stored = StudyConfigLoader.Load(Write(custom, "stored.json"));

        // When kernel_size 3 (this tool's worker's default) is written out
        var now = StudyConfigLoader.Load(Write(ConfigJson.Patch("fixed.kernel_size", "3", custom), "now.json"));

        // Then it is refused as a change: that worker is now given a value it was not
        var change = Assert.Single(ConfigChanges.Between(stored, now));
        Assert.Equal(("fixed.kernel_size", "null", "3", true), (change.Key, change.Stored, change.Now, change.Refused));
    }

    [Fact]
    public void WhenAWorkerProgramIsAddedOnlyTheFixedKeysWrittenOnEitherSideAreCompared()
    {
        // Given the example, run by the built-in worker (kernel_size left to its default, 3)
        var stored = StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "stored.json"));
        var custom = ConfigJson.Patch("worker", """{"command": ["my-worker", "{spec}"]}""");

        // When another worker program is added, once with kernel_size written out at 3 and once at 5
        var same = StudyConfigLoader.Load(Write(ConfigJson.Patch("fixed.kernel_size", "3", custom), "same.json"));
        var other = StudyConfigLoader.Load(Write(ConfigJson.Patch("fixed.kernel_size", "5", custom), "other.json"));

        // Then the worker is the one change, applied (the table's other defaults were compared with nothing written:
        // "fixed.fc_layers = 1; the configuration says null"), and a value other than the trials ran with is refused
        var change = Assert.Single(ConfigChanges.Between(stored, same));
        Assert.Equal(("worker.command", false), (change.Key, change.Refused));
        var refused = ConfigChanges.Between(stored, other)[0];
        Assert.Equal(("fixed.kernel_size", "3", "5", true), (refused.Key, refused.Stored, refused.Now, refused.Refused));
    }

    [Fact]
    public void AFixedValueTheModelNeverReadsTakenOutIsNoChange()
    {
        // Given a study stored with momentum 0.5 fixed beside Adam (taken before such values were refused)
        var stored = StudyConfigLoader.Parse(ConfigJson.Patch("fixed.momentum", "0.5"), Write("{}", "stored.json"), stored: true);

        // When it is resumed with the configuration that leaves momentum out, as the new rule asks
        var now = StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "now.json"));

        // Then nothing changed that the trials ran with (removing it was refused: "fixed.momentum 0.5 → 0.9")
        Assert.Empty(ConfigChanges.Between(stored, now));
    }

    [Fact]
    public void WhenTheIssueExampleIsLoadedThenEveryFieldIsRead()
    {
        // Given the example search.json from the issue
        var path = Write(ConfigJson.IssueExample);

        // When it is loaded
        var config = StudyConfigLoader.Load(path);

        // Then every section is read, with relative paths resolved against the file's folder
        Assert.Equal("mnist-cnn", config.Study);
        Assert.Equal(path, config.SourcePath);
        Assert.Equal(_folder.Path, config.BaseDirectory);
        Assert.Equal(new DatasetConfig("mnist", _folder.Combine("data", "mnist"), 5000, 10000), config.Dataset);
        Assert.Equal(new ObjectiveConfig("val_accuracy", StudyDirection.MAXIMIZE), config.Objective);
        Assert.Equal(
            ["conv1_channels", "conv2_channels", "fc_width", "dropout", "learning_rate", "batch_size", "rotation_degrees", "translate_fraction"],
            config.Space.Names);
        Assert.Equal(new IntDistribution(8, 64, 1, true), config.Space["conv1_channels"]);
        Assert.Equal(new IntDistribution(32, 512, 1, true), config.Space["fc_width"]);
        Assert.Equal(new FloatDistribution(0.0, 0.5), config.Space["dropout"]);
        Assert.Equal(new FloatDistribution(0.0001, 0.01, true), config.Space["learning_rate"]);
        Assert.Equal(new CategoricalDistribution([64L, 128L, 256L]), config.Space["batch_size"]);
        Assert.Equal(
            new KeyValuePair<string, object>[] { new("optimizer", "adam"), new("batch_norm", true) },
            config.Fixed);
        Assert.Equal(new BudgetConfig(12, 2, 1, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(10)), config.Budget);
        Assert.Equal(5, config.Budget.MaxConsecutiveFailures);
        Assert.Equal(new SamplerConfig(SamplerKind.Gp, 4, 42), config.Sampler);
        Assert.Equal(PrunerConfig.None, config.Pruner);
        Assert.Equal(DevicesMode.Auto, config.Devices.Mode);
        Assert.Equal(new RetrainConfig(true, 5), config.Retrain);
        Assert.Equal("sqlite:" + _folder.Combine("studies", "mnist-cnn", "study.db"), config.Storage);
        Assert.Null(config.Worker);
    }

    [Fact]
    public void WhenOptionalSectionsAreLeftOutThenDefaultsApply()
    {
        // Given a minimal config
        var path = Write("""
            {
              "study": "tiny",
              "dataset": { "name": "fashion-mnist" },
              "objective": { "metric": "val_loss" },
              "space": { "dropout": { "type": "float", "low": 0.1, "high": 0.4 } },
              "budget": { "trials": 3 }
            }
            """);

        // When it is loaded
        var config = StudyConfigLoader.Load(path);

        // Then the documented defaults fill the gaps
        Assert.Equal(new DatasetConfig("fashion-mnist", _folder.Combine("data", "fashion-mnist"), 5000, null), config.Dataset);
        Assert.Equal(StudyDirection.MINIMIZE, config.Objective.Direction);
        Assert.Empty(config.Fixed);
        Assert.Equal(new BudgetConfig(3, 2, 1, null, null), config.Budget);
        Assert.Equal(new SamplerConfig(SamplerKind.Gp, SamplerConfig.DefaultStartupTrials, null), config.Sampler);
        Assert.Equal(PrunerKind.None, config.Pruner.Kind);
        Assert.Equal(DevicesMode.Auto, config.Devices.Mode);
        Assert.False(config.Retrain.Enabled);
        Assert.Equal("sqlite:" + _folder.Combine("studies", "tiny", "study.db"), config.Storage);
    }

    [Fact]
    public void WhenASelectionIsGivenThenItsRepeatsAreReadAndDefaultToTheTopThreeTwice()
    {
        // Given a config without selection, one with an empty selection and one with its keys
        var none = StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "none.json"));
        var defaults = StudyConfigLoader.Load(Write(ConfigJson.Patch("selection", "{}"), "defaults.json"));
        var given = StudyConfigLoader.Load(Write(ConfigJson.Patch("selection", """{"candidates": 2, "repeats": 1}"""), "given.json"));

        // Then no repeats without it, the top 3 twice each by default, and the given ones as given
        Assert.Equal(SelectionConfig.None, none.Selection);
        Assert.Equal(new SelectionConfig(3, 2), defaults.Selection);
        Assert.Equal(6, defaults.Selection.Trials);
        Assert.Equal(new SelectionConfig(2, 1), given.Selection);
        Assert.Equal(new SelectionConfig(2, 1), ConfigMapping.ToSettings(given, _folder.Combine("given")).Selection);
    }

    [Fact]
    public void WhenTheRetrainHasATimeBudgetThenItIsReadInMinutes()
    {
        // Given
        var path = Write(ConfigJson.Patch("retrain.max_minutes", "8.5"));

        // When
        var config = StudyConfigLoader.Load(path);

        // Then
        Assert.Equal(new RetrainConfig(true, 5, TimeSpan.FromMinutes(8.5)), config.Retrain);
    }

    [Fact]
    public void WhenTheSamplerIsTpeThenItsStartupTrialsAndSeedAreReadAndItIsBuilt()
    {
        // Given / When
        var config = StudyConfigLoader.Load(Write(ConfigJson.Patch("sampler", """{"kind": "tpe", "startup_trials": 6, "seed": 3}""")));

        // Then
        Assert.Equal(new SamplerConfig(SamplerKind.Tpe, 6, 3), config.Sampler);
        Assert.IsType<Mnist.Search.Sampling.TpeSampler>(ConfigMapping.Sampler(config));
    }

    [Fact]
    public void WhenASplitSeedIsGivenThenEveryTrialHoldsOutItsImagesWhateverTheSamplerSeed()
    {
        // Given a study with sampler seed 42 and a validation split fixed by seed 7
        var config = StudyConfigLoader.Load(Write(ConfigJson.Patch("dataset.split_seed", "7")));
        var settings = ConfigMapping.ToSettings(config, _folder.Combine("study"));
        var trial = new TrialSnapshot(3, 3, TrialState.RUNNING, null, new Dictionary<string, double>(),
            new Dictionary<string, ParameterDistribution>(), new Dictionary<int, double>(), null, null,
            new Dictionary<string, string>(), new Dictionary<string, string>());

        // When the coordinator writes a trial's spec
        var spec = settings.SpecFor(trial, 1, settings.Seed + trial.Number, new DeviceSlot("cpu:0", null, 1), _folder.Combine("out"));

        // Then the split seed is the configured one and the training seed still the trial's own
        Assert.Equal(7, config.Dataset.SplitSeed);
        Assert.Equal(7, spec.EffectiveSplitSeed);
        Assert.Equal(45, spec.Seed);

        // And without it the split follows the sampler seed, as before
        var plain = ConfigMapping.ToSettings(StudyConfigLoader.Load(Write(ConfigJson.IssueExample, "plain.json")), _folder.Combine("plain"));
        Assert.Equal(42, plain.SpecFor(trial, 1, 45, new DeviceSlot("cpu:0", null, 1), _folder.Combine("out")).EffectiveSplitSeed);
    }

    [Fact]
    public void WhenAConfigIsLoadedThenNothingIsCreatedOnDisk()
    {
        // Given a config whose data, storage and worker paths do not exist yet
        Write(ConfigJson.Patch("worker", """{"command": ["./bin/fake-worker", "{spec}"]}"""));
        var before = _folder.Entries();

        // When it is loaded
        var config = StudyConfigLoader.Load(_folder.Combine("search.json"));

        // Then the folder holds exactly what it held before
        Assert.Equal(before, _folder.Entries());
        Assert.False(Directory.Exists(config.Dataset.Dir));
    }

    [Fact]
    public void WhenTheConfigHasCommentsAndTrailingCommasThenItStillLoads()
    {
        // Given hand-edited JSON
        var path = Write("""
            {
              // the study name names its folder
              "study": "commented",
              "dataset": { "name": "mnist", },
              "space": { "fc_width": { "type": "int", "low": 32, "high": 256, "step": 32 }, },
              "budget": { "trials": 1 },
            }
            """);

        // When it is loaded
        var config = StudyConfigLoader.Load(path);

        // Then it reads as if it were strict JSON
        Assert.Equal(new IntDistribution(32, 256, 32), config.Space["fc_width"]);
    }

    [Fact]
    public void WhenChoicesAndRangesMatchTheWorkersKindsThenTheyAreAccepted()
    {
        // Given string and boolean choices, and an integer range for a float hyperparameter
        var json = ConfigJson.Patch("fixed", "{}",
            ConfigJson.Patch("space.optimizer", """{"type": "categorical", "choices": ["adam", "sgd"]}""",
                ConfigJson.Patch("space.batch_norm", """{"type": "categorical", "choices": [true, false]}""",
                    ConfigJson.Patch("space.rotation_degrees", """{"type": "int", "low": 0, "high": 20, "step": 5}"""))));

        // When it is loaded
        var space = StudyConfigLoader.Load(Write(json)).Space;

        // Then each becomes the matching distribution, the added names last in the order they were added
        Assert.Equal(new CategoricalDistribution(["adam", "sgd"]), space["optimizer"]);
        Assert.Equal(new CategoricalDistribution([true, false]), space["batch_norm"]);
        Assert.Equal(new IntDistribution(0, 20, 5), space["rotation_degrees"]);
        Assert.Equal(["batch_norm", "optimizer"], space.Names.TakeLast(2));
    }

    [Theory]
    [InlineData("\"cpu\"", DevicesMode.Cpu, new string[0], 1, null)]
    [InlineData("[\"cuda:0\", \"cuda:3\"]", DevicesMode.List, new[] { "cuda:0", "cuda:3" }, 1, null)]
    [InlineData("[\"cpu\", \"cpu\"]", DevicesMode.List, new[] { "cpu", "cpu" }, 1, null)]
    [InlineData("{\"cpu_slots\": 2, \"threads_per_slot\": 3}", DevicesMode.Cpu, new string[0], 2, 3)]
    [InlineData("{\"cpu_slots\": 4}", DevicesMode.Cpu, new string[0], 4, null)]
    public void WhenDevicesAreGivenThenEachFormIsRead(string devices, DevicesMode mode, string[] ids, int slots, int? threads)
    {
        // Given a devices value in one of its forms
        var path = Write(ConfigJson.Patch("devices", devices));

        // When it is loaded
        var config = StudyConfigLoader.Load(path);

        // Then the form and its numbers are kept
        Assert.Equal(mode, config.Devices.Mode);
        Assert.Equal(ids, config.Devices.Ids);
        Assert.Equal(slots, config.Devices.CpuSlots);
        Assert.Equal(threads, config.Devices.ThreadsPerSlot);
    }

    [Fact]
    public void WhenAMedianPrunerIsConfiguredThenItsSettingsAndDefaultsAreRead()
    {
        // Given a median pruner with one setting, in a study of 3 epochs
        var path = Write(ConfigJson.Patch("pruner", """{"kind": "median", "warmup_epochs": 1}""", ConfigJson.Patch("budget.epochs", "3")));

        // When it is loaded
        var pruner = StudyConfigLoader.Load(path).Pruner;

        // Then the setting is kept and the others are Optuna's defaults
        Assert.Equal(new PrunerConfig(PrunerKind.Median, StartupTrials: 5, WarmupEpochs: 1, Interval: 1), pruner);
    }

    [Fact]
    public void RangesWrittenAsOptunaWritesThemRead()
    {
        // Given an int range with whole-number doubles for bounds, one with log and step 1, and a log float range with
        // "step": null (Optuna's JSON of a distribution writes it so)
        var json = ConfigJson.Patch("space.fc_width", """{"type": "int", "low": 32.0, "high": 256.0, "log": true, "step": 1}""",
            ConfigJson.Patch("space.learning_rate", """{"type": "float", "low": 0.0001, "high": 0.1, "log": true, "step": null}"""));

        // When it is loaded
        var space = StudyConfigLoader.Load(Write(json)).Space;

        // Then they read as the ranges they are (each was refused: "expected an integer, got 32.0", "step cannot be
        // combined with log")
        Assert.Equal(new IntDistribution(32, 256, 1, true), space["fc_width"]);
        Assert.Equal(new FloatDistribution(0.0001, 0.1, true), space["learning_rate"]);
    }

    [Fact]
    public void AStoredWarmUpThatTheRuleNowRefusesStillReads()
    {
        // Given a configuration stored by a study created when one warm-up epoch of two was allowed
        var json = ConfigJson.Patch("pruner", """{"kind": "median", "warmup_epochs": 1}""");

        // When it is read back as stored (resume, workers), and as a new configuration
        var stored = StudyConfigLoader.Parse(json, Write(json), stored: true).Pruner;

        // Then the stored one reads (the study resumes) and a new one is refused
        Assert.Equal(1, stored.WarmupEpochs);
        Assert.Throws<ConfigException>(() => StudyConfigLoader.Parse(json, Write(json)));
    }

    [Fact]
    public void WhenAnAshaPrunerIsConfiguredThenItsSettingsAreRead()
    {
        // Given ASHA with both settings over a 9-epoch budget
        var json = ConfigJson.Patch("budget.epochs", "9", ConfigJson.Patch("pruner", """{"kind": "asha", "min_resource": 2, "reduction_factor": 3}"""));

        // When it is loaded
        var pruner = StudyConfigLoader.Load(Write(json)).Pruner;

        // Then both are kept
        Assert.Equal(PrunerKind.Asha, pruner.Kind);
        Assert.Equal(2, pruner.MinResource);
        Assert.Equal(3, pruner.ReductionFactor);
    }

    [Fact]
    public void WhenAHyperbandPrunerIsConfiguredThenItsSettingsAreReadAndItsLargestResourceIsTheBudgetsEpochs()
    {
        // Given Hyperband over a 9-epoch budget
        var json = ConfigJson.Patch("budget.epochs", "9", ConfigJson.Patch("pruner", """{"kind": "hyperband", "min_resource": 1, "reduction_factor": 3}"""));

        // When it is loaded and built as the coordinator builds it
        var config = StudyConfigLoader.Load(Write(json));
        var pruner = Assert.IsType<HyperbandPruner>(ConfigMapping.Pruner(config));

        // Then its brackets span epochs 1 to 9: first rungs at 1, 3 and 9
        Assert.Equal(PrunerKind.Hyperband, config.Pruner.Kind);
        Assert.Equal((1, 9, 3), (pruner.MinResource, pruner.MaxResource, pruner.ReductionFactor));
        Assert.Equal([1, 3, 9], Enumerable.Range(0, pruner.Brackets).Select(pruner.FirstRung));
    }

    [Theory]
    [InlineData("storage", "\"sqlite:a\\u0000b.db\"", "$.storage")]
    [InlineData("storage", "\"sqlite:a\\tb.db\"", "$.storage")]
    [InlineData("dataset.dir", "\"a\\u0000b\"", "$.dataset.dir")]
    [InlineData("worker", "{\"command\": [\"./a\\u0000b\", \"{spec}\"]}", "$.worker.command[0]")]
    [InlineData("worker", "{\"command\": [\"/bin/true\\u0000\"]}", "$.worker.command[0]")]
    [InlineData("worker", "{\"command\": [\"/bin/true\", \"x\\u0000\"]}", "$.worker.command[1]")]
    public void WhenAPathHoldsAControlCharacterThenOneLineNamesItsJsonPath(string key, string value, string jsonPath)
    {
        // Given a path (or program argument) with a NUL or a tab in it
        var path = Write(ConfigJson.Patch(key, value));

        // When it is loaded
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(path));

        // Then it is bad input naming the JSON path, on one line with no raw control character (it was .NET's "Null
        // character in path" with a stack trace and exit 1, or passed to the worker)
        Assert.Equal(jsonPath, error.JsonPath);
        Assert.DoesNotContain(error.Message, char.IsControl);
    }

    [Theory]
    [InlineData("postgresql://user@127.0.0.1:5432/search", "postgresql://user@127.0.0.1:5432/search")]
    [InlineData("postgresql+psycopg2://user@127.0.0.1/search", "postgresql+psycopg2://user@127.0.0.1/search")]
    [InlineData("Postgres://user@127.0.0.1/search", "Postgres://user@127.0.0.1/search")]
    [InlineData("sqlite:///optuna-style.db", "sqlite:{dir}/optuna-style.db")]
    [InlineData("sqlite:////tmp/abs.db", "sqlite:/tmp/abs.db")]
    [InlineData("sqlite:../up.db", "sqlite:{parent}/up.db")]
    public void WhenStorageIsGivenThenSqlitePathsAreResolvedAndUrlsKeptOpaque(string storage, string expected)
    {
        // Given a storage string
        var path = Write(ConfigJson.Patch("storage", $"\"{storage}\""));

        // When it is loaded
        var config = StudyConfigLoader.Load(path);

        // Then sqlite paths are absolute against the config folder and other URLs unchanged
        var want = expected.Replace("{dir}", _folder.Path).Replace("{parent}", Path.GetDirectoryName(_folder.Path));
        Assert.Equal(want, config.Storage);
    }

    [Fact]
    public void WhenAWorkerCommandIsGivenThenDotSlashPathsAreResolvedAndUnknownNamesAllowed()
    {
        // Given a custom trainer with its own hyperparameter name
        var json = ConfigJson.Patch("worker", """{"command": ["./trainer.sh", "--spec", "{spec}", "../shared/x", "plain"]}""",
            ConfigJson.Patch("space.my_knob", """{"type": "float", "low": 1, "high": 2}"""));

        // When it is loaded
        var config = StudyConfigLoader.Load(Write(json));

        // Then relative program paths are absolute, others untouched, and the custom name is accepted
        Assert.Equal(
            [_folder.Combine("trainer.sh"), "--spec", "{spec}", Path.Combine(Path.GetDirectoryName(_folder.Path)!, "shared", "x"), "plain"],
            config.Worker!.Command);
        Assert.Contains("my_knob", config.Space.Names);
    }

    [Theory]
    [InlineData("""{"type": "int", "low": -9000000000000000000, "high": 9000000000000000000}""", "high - low must be at most 2^53 (9007199254740992)")]
    [InlineData("""{"type": "float", "low": -1.7e308, "high": 1.7e308}""", "high - low must be a finite number")]
    public void WhenACustomWorkersRangeIsWiderThanSamplersCanTellApartThenItIsRefused(string range, string expected)
    {
        // Given a custom trainer's parameter whose range is wider than a double can resolve (every proposal was one
        // number, or the GP failed with an index out of range)
        var file = Write(ConfigJson.Patch("worker", """{"command": ["./trainer.sh", "{spec}"]}""", ConfigJson.Patch("space.my_knob", range)));

        // When it is loaded, then one line names the file, the path and the rule
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));
        Assert.Equal("$.space.my_knob.high", error.JsonPath);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("weight_decay", """{"type": "float", "low": 0, "high": 0.001, "step": 1e-12}""", "1e-12 makes 1e9 values (at most 1e7); use a larger step or no step")]
    [InlineData("my_knob", """{"type": "float", "low": 0, "high": 1e10, "step": 1e-10}""", "1e-10 makes 1e20 values (at most 1e7)")]
    [InlineData("my_knob", """{"type": "float", "low": 0, "high": 1e300, "step": 1e-300}""", "1e-300 makes infinitely many values (at most 1e7)")]
    [InlineData("my_knob", """{"type": "float", "low": 1000000, "high": 1000001, "step": 0.001}""", "0.001 is finer than doubles near 1000001 can hold on a grid (at least 0.1)")]
    public void WhenAFloatStepMakesMoreValuesThanDoublesHoldThenItIsRefused(string name, string range, string expected)
    {
        // Given a stepped float whose grid is finer than doubles can hold exactly (it was accepted, then every proposal
        // was the same value, the GP failed with an index out of range, or a sampler's proposal was refused mid-study)
        var file = Write(ConfigJson.Patch("worker", """{"command": ["./trainer.sh", "{spec}"]}""", ConfigJson.Patch($"space.{name}", range)));

        // When it is loaded, then one line names the file, the step's path, its value and the bound
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));
        Assert.Equal($"$.space.{name}.step", error.JsonPath);
        Assert.Contains($": $.space.{name}.step: {expected}", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    // space: ranges
    [InlineData("space.fc_width.low", "600", "$.space.fc_width.low", "low must be less than high (512), got 600")]
    [InlineData("space.fc_width.low", "0", "$.space.fc_width.low", "greater than 0 when log is true, got 0")]
    [InlineData("space.dropout.low", "0.5", "$.space.dropout.low", "range is empty")]
    [InlineData("space.fc_width.step", "2", "$.space.fc_width.step", "step cannot be combined with log, got 2")]
    [InlineData("space.fc_width", """{"type":"int","low":32,"high":500,"step":64}""", "$.space.fc_width.high", "multiple of step (64), got 500")]
    [InlineData("space.dropout.step", "0.3", "$.space.dropout.high", "multiple of step")]
    [InlineData("space.dropout.high", "1.5", "$.space.dropout.high", "dropout must be a number in [0, 0.95], got 1.5")]
    [InlineData("space.fc_width.low", "\"32\"", "$.space.fc_width.low", "expected an integer, got \"32\"")]
    [InlineData("space.fc_width.low", "32.5", "$.space.fc_width.low", "expected an integer, got 32.5")]
    [InlineData("space.fc_width.high", null, "$.space.fc_width.high", "required key is missing")]
    [InlineData("space.fc_width.lo", "5", "$.space.fc_width.lo", "unknown key (known: type, low, high, step, log, choices)")]
    [InlineData("space.fc_width.type", "\"integer\"", "$.space.fc_width.type", "expected one of \"int\", \"float\", \"categorical\", got \"integer\"")]
    [InlineData("space.conv1_channels.type", "\"float\"", "$.space.conv1_channels.type", "takes integer values (an integer in 1..1024); use type \"int\"")]
    [InlineData("space.fc_widht", """{"type":"int","low":1,"high":2}""", "$.space.fc_widht", "unknown hyperparameter \"fc_widht\" (known: conv_layers")]
    [InlineData("space.dropout", "0.3", "$.space.dropout", "expected an object, got 0.3")]
    [InlineData("space", "{}", "$.space", "at least one parameter")]
    // space: categorical
    [InlineData("space.batch_size.choices", "[64, 64]", "$.space.batch_size.choices[1]", "duplicate of $.space.batch_size.choices[0], got 64")]
    [InlineData("space.batch_size.choices", "[64, 64.0]", "$.space.batch_size.choices[1]", "duplicate")]
    [InlineData("space.batch_size.choices", "[]", "$.space.batch_size.choices", "non-empty list")]
    [InlineData("space.batch_size.choices", "[64, [1]]", "$.space.batch_size.choices[1]", "expected a number, string or boolean, got [1]")]
    [InlineData("space.batch_size.choices", "[64, \"128\"]", "$.space.batch_size.choices[1]", "batch_size must be an integer in 1..65536, got \"128\"")]
    [InlineData("space.batch_size.low", "1", "$.space.batch_size.low", "unknown key (known: type, choices)")]
    // fixed
    [InlineData("fixed.dropout", "0.1", "$.fixed.dropout", "also in space")]
    [InlineData("fixed.optimizer", "\"adamw\"", "$.fixed.optimizer", "optimizer must be one of \"adam\", \"sgd\", got \"adamw\"")]
    [InlineData("fixed.batch_norm", "1", "$.fixed.batch_norm", "batch_norm must be true or false, got 1")]
    [InlineData("fixed.kernel_size", "3.5", "$.fixed.kernel_size", "kernel_size must be an odd integer in 1..7, got 3.5")]
    [InlineData("fixed.conv_layers", "5", "$.fixed.conv_layers", "conv_layers must be an integer in 1..4, got 5")]
    [InlineData("fixed.lr", "0.1", "$.fixed.lr", "unknown hyperparameter")]
    [InlineData("fixed.optimizer", "null", "$.fixed.optimizer", "expected a number, string or boolean, got null")]
    // budget, dataset, objective
    [InlineData("budget.trials", "0", "$.budget.trials", "between 1 and 1000000, got 0")]
    // (an integral number past a long said only "expected an integer")
    [InlineData("budget.trials", "1e30", "$.budget.trials", "must be between 1 and 1000000, got 1e30")]
    [InlineData("budget.trials", null, "$.budget.trials", "required key is missing")]
    [InlineData("budget.max_consecutive_failures", "0", "$.budget.max_consecutive_failures", "between 1 and 1000000, got 0")]
    [InlineData("budget.trails", "3", "$.budget.trails", "unknown key (known: trials, epochs")]
    [InlineData("budget.timeout_minutes", "-5", "$.budget.timeout_minutes", "positive number of minutes, got -5")]
    // (below a tick it rounded to zero: 1e-300 ran no trial and exited 0)
    [InlineData("budget.timeout_minutes", "1e-300", "$.budget.timeout_minutes", "must be at least a second (0.0167 minutes), got 1e-300")]
    [InlineData("budget.trial_timeout_minutes", "0.001", "$.budget.trial_timeout_minutes", "must be at least a second (0.0167 minutes), got 0.001")]
    // (above 49.7 days every trial failed "could not be supervised"; 7e9 created the study, then overflowed its deadline)
    [InlineData("budget.trial_timeout_minutes", "72000", "$.budget.trial_timeout_minutes", "must be at most 71582 minutes (49.7 days, the longest timer .NET can set), got 72000")]
    [InlineData("budget.timeout_minutes", "7e9", "$.budget.timeout_minutes", "must be at most 71582 minutes")]
    [InlineData("retrain.max_minutes", "1e300", "$.retrain.max_minutes", "must be at most 71582 minutes")]
    [InlineData("budget.max_concurrent", "0", "$.budget.max_concurrent", "between 1 and 1024, got 0")]
    [InlineData("dataset.name", "\"cifar10\"", "$.dataset.name", "expected one of \"mnist\", \"fashion-mnist\", got \"cifar10\"")]
    [InlineData("dataset", null, "$.dataset", "required key is missing")]
    [InlineData("dataset.train_subset", "58000", "$.dataset.train_subset", "must not exceed the 60000 training images")]
    [InlineData("dataset.validation", "0", "$.dataset.validation", "between 1 and 59999, got 0")]
    [InlineData("dataset.split_seed", "-1", "$.dataset.split_seed", "at least 0, got -1")]
    [InlineData("objective.metric", "\"accuracy\"", "$.objective.metric", "got \"accuracy\"")]
    [InlineData("objective.direction", "\"minimize\"", "$.objective.direction", "val_accuracy must be maximized")]
    // sampler, pruner
    [InlineData("sampler.kind", "\"cmaes\"", "$.sampler.kind", "expected one of \"gp\", \"tpe\", \"random\", got \"cmaes\"")]
    [InlineData("sampler.seed", "-1", "$.sampler.seed", "at least 0, got -1")]
    [InlineData("sampler.seed", "3000000000", "$.sampler.seed", "between 0 and 2147483647, got 3000000000")]
    [InlineData("sampler", """{"kind":"random","startup_trials":3}""", "$.sampler.startup_trials", "unknown key (known: kind, seed)")]
    [InlineData("pruner.kind", "\"successive_halving\"", "$.pruner.kind", "expected one of \"none\", \"median\", \"asha\", \"hyperband\", got \"successive_halving\"")]
    [InlineData("pruner", """{"kind":"hyperband","min_resource":2}""", "$.pruner.min_resource", "less than budget.epochs (2)")]
    [InlineData("pruner", """{"kind":"hyperband","warmup_epochs":1}""", "$.pruner.warmup_epochs", "unknown key (known: kind, min_resource, reduction_factor)")]
    [InlineData("pruner", """{"kind":"median","reduction_factor":3}""", "$.pruner.reduction_factor", "unknown key (known: kind, startup_trials, warmup_epochs, interval)")]
    [InlineData("pruner", """{"kind":"asha","reduction_factor":1}""", "$.pruner.reduction_factor", "between 2 and 100, got 1")]
    [InlineData("pruner", """{"kind":"median","warmup_epochs":2}""", "$.pruner.warmup_epochs", "less than budget.epochs - 1 (1)")]
    // (one warm-up epoch of two left only the last, which is never pruned)
    [InlineData("pruner", """{"kind":"median","warmup_epochs":1}""", "$.pruner.warmup_epochs", "less than budget.epochs - 1 (1): the warm-up epochs and the last epoch are never pruned, so nothing would be, got 1")]
    [InlineData("pruner", "{}", "$.pruner.kind", "required key is missing")]
    // devices
    // (a word said only "auto" and "cpu", hiding the list and object forms)
    [InlineData("devices", "\"gpu\"", "$.devices", "expected \"auto\", \"cpu\", a list such as [\"cuda:0\"], {\"cpu_slots\": N} or {\"gpus\": \"auto\", \"trials_per_gpu\": N}, got \"gpu\"")]
    [InlineData("devices", "\"cuda:0\"", "$.devices", "a device goes in a list, [\"cuda:0\"] (expected \"auto\", \"cpu\", a list")]
    [InlineData("devices", "[\"cuda:0\", \"cuda:0\"]", "$.devices[1]", "device listed twice, got \"cuda:0\"")]
    [InlineData("devices", "[\"gpu0\"]", "$.devices[0]", "expected \"cpu\" or \"cuda:N\" (N 0-999), got \"gpu0\"")]
    [InlineData("devices", "[\"cuda:1000\"]", "$.devices[0]", "expected \"cpu\" or \"cuda:N\" (N 0-999), got \"cuda:1000\"")]
    [InlineData("devices", "[\"cuda:0\", \"cuda:00\"]", "$.devices[1]", "device listed twice, got \"cuda:00\"")]
    [InlineData("devices", "[]", "$.devices", "at least one device")]
    [InlineData("devices", "{\"cpu_slots\": 0}", "$.devices.cpu_slots", "between 1 and 1024, got 0")]
    [InlineData("devices", "4", "$.devices", "got 4")]
    // storage, retrain, study, worker, top level
    [InlineData("storage", "\"mysql://db/x\"", "$.storage", "storage URL 'mysql://db/x': expected sqlite:PATH, sqlite:///PATH or postgresql://")]
    [InlineData("storage", "5", "$.storage", "expected a string, got 5")]
    [InlineData("storage", "\"sqlite:\"", "$.storage", "no database file path")]
    [InlineData("storage", "\"sqlite:studies/\"", "$.storage", "no database file name")]
    // (as --storage: sqlite://foo.db was read as /foo.db, sqlite::memory: as a file named ":memory:")
    [InlineData("storage", "\"sqlite://foo.db\"", "$.storage", "SQLite takes no host")]
    [InlineData("storage", "\"sqlite::memory:\"", "$.storage", "in-memory database")]
    [InlineData("storage", "\"postgresql://u@localhost:0/db\"", "$.storage", "port must be in 1..65535, got 0")]
    [InlineData("retrain.epochs", "0", "$.retrain.epochs", "between 1 and 10000, got 0")]
    [InlineData("retrain.enabled", "\"yes\"", "$.retrain.enabled", "expected true or false, got \"yes\"")]
    [InlineData("retrain.max_minutes", "0", "$.retrain.max_minutes", "positive number of minutes, got 0")]
    [InlineData("selection", """{"candidates": 3, "repeats": 4}""", "$.selection", "candidates x repeats (3 x 4 = 12) must be less than budget.trials (12)")]
    [InlineData("selection", """{"top": 3}""", "$.selection.top", "unknown key (known: candidates, repeats)")]
    [InlineData("selection", """{"candidates": 0}""", "$.selection.candidates", "between 1 and 100, got 0")]
    [InlineData("selection", "3", "$.selection", "expected an object, got 3")]
    [InlineData("retrain.max_minutes", "\"9\"", "$.retrain.max_minutes", "got \"9\"")]
    [InlineData("study", "\"../evil\"", "$.study", "it names folders")]
    // (é is a letter: "letters" did not say which)
    [InlineData("study", "\"étude-ü\"", "$.study", "must be 1-100 ASCII letters (a-z, A-Z), digits")]
    // (accepted: studies/CON/ cannot be made on Windows)
    [InlineData("study", "\"CON\"", "$.study", "is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9, in any case, also before a '.'), which cannot name a folder there; choose another name, got \"CON\"")]
    [InlineData("study", "\"nul\"", "$.study", "is a device name on Windows")]
    [InlineData("study", "\"Lpt9.v2\"", "$.study", "is a device name on Windows")]
    [InlineData("study", null, "$.study", "required key is missing")]
    [InlineData("worker", """{"command": []}""", "$.worker.command", "non-empty list")]
    [InlineData("worker", """{"command": ["./w", 3]}""", "$.worker.command[1]", "expected a string, got 3")]
    [InlineData("epochs", "3", "$.epochs", "unknown key (known: study, dataset, objective, space, fixed, budget")]
    public void WhenAValueIsBadThenTheErrorNamesTheFilePathAndValue(string patchPath, string? patchValue, string jsonPath, string expected)
    {
        // Given the issue's example with one bad change
        var file = Write(ConfigJson.Patch(patchPath, patchValue));

        // When it is loaded
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));

        // Then one line names the file, the JSON path and what is wrong with which value
        Assert.Equal(jsonPath, error.JsonPath);
        Assert.StartsWith($"{file}: {jsonPath}: ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("console")]
    [InlineData("com10")]
    [InlineData("aux-2")]
    [InlineData("nul_1.v2")]
    public void ANameThatOnlyBeginsLikeAWindowsDeviceNameIsAccepted(string study)
    {
        Assert.Equal(study, StudyConfigLoader.Load(Write(ConfigJson.Patch("study", $"\"{study}\""))).Study);
    }

    [Fact]
    public void AStoredStudyNamedLikeAWindowsDeviceStillReadsWhileANewOneIsRefused()
    {
        // Given a configuration named con.v2 (a convnet's), as a study stored before such names were refused has it
        var json = ConfigJson.Patch("study", "\"con.v2\"");

        // Then the stored one reads (its study resumes), a configuration file is refused
        Assert.Equal("con.v2", StudyConfigLoader.Parse(json, Write(json), stored: true).Study);
        Assert.Throws<ConfigException>(() => StudyConfigLoader.Parse(json, Write(json)));
    }

    [Theory]
    [InlineData("1e1")]
    [InlineData("10.0")]
    public void AnIntegerWrittenAsAFloatIsTheInteger(string trials)
    {
        Assert.Equal(10, StudyConfigLoader.Load(Write(ConfigJson.Patch("budget.trials", trials))).Budget.Trials);
    }

    [Fact]
    public void WhenAKeyAppearsTwiceThenTheSecondIsReported()
    {
        // Given a space that declares fc_width twice (JSON parsers silently keep one)
        var file = Write("""
            { "study": "s", "dataset": {"name": "mnist"}, "budget": {"trials": 1},
              "space": { "fc_width": {"type": "int", "low": 1, "high": 9}, "fc_width": {"type": "int", "low": 2, "high": 9} } }
            """);

        // When it is loaded
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));

        // Then the duplicate is named
        Assert.Equal($"{file}: $.space.fc_width: key appears more than once", error.Message);
    }

    [Fact]
    public void WhenTheJsonIsMalformedThenTheErrorGivesLineAndColumn()
    {
        // Given a file with a missing comma on line 3
        var file = Write("{\n  \"study\": \"s\"\n  \"budget\": {}\n}");

        // When it is loaded
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));

        // Then the message points at the line, on one line
        Assert.StartsWith($"{file}: line 3, column 3: invalid JSON", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void WhenTheFileDoesNotExistThenTheErrorSaysSo()
    {
        // Given a path with no file
        var file = _folder.Combine("missing.json");

        // When it is loaded
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));

        // Then the message names the file, and nothing was created
        Assert.Equal($"{file}: $: config file not found", error.Message);
        Assert.Empty(_folder.Entries());
    }

    [Theory]
    [InlineData("space.conv3_channels", """{"type": "int", "low": 16, "high": 64}""", "$.space.conv3_channels", "conv3_channels is not used by the model: it is read only when `conv_layers` ≥ 3, and conv_layers is 2 (the default); set conv_layers in \"fixed\", search it too, or remove conv3_channels")]
    [InlineData("space.momentum", """{"type": "float", "low": 0.5, "high": 0.9}""", "$.space.momentum", "momentum is not used by the model: it is read only when `optimizer` = `sgd`, and optimizer is \"adam\" in \"fixed\"")]
    // (fixed ones were taken silently, and read as in effect)
    [InlineData("fixed.momentum", "0.9", "$.fixed.momentum", "momentum is not used by the model: it is read only when `optimizer` = `sgd`, and optimizer is \"adam\" in \"fixed\"; set optimizer so that it is, or remove momentum")]
    [InlineData("fixed.conv3_channels", "32", "$.fixed.conv3_channels", "conv3_channels is not used by the model: it is read only when `conv_layers` ≥ 3, and conv_layers is 2 (the default)")]
    public void WhenASearchedHyperparameterIsNeverReadByTheModelThenItIsRefused(string patch, string range, string jsonPath, string expected)
    {
        // Given the example (2 conv layers by default, Adam fixed) searching a hyperparameter its model never reads
        // (it was accepted: the search spent its budget on a dimension that changes nothing)
        var file = Write(ConfigJson.Patch(patch, range));

        // When it is loaded, then one line says why and what to do
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));
        Assert.Equal(jsonPath, error.JsonPath);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void WhenTheHyperparameterThatEnablesAnotherIsSearchedOrFixedToEnableItThenBothAreAccepted()
    {
        // Given conv3_channels searched beside a searched conv_layers, and beside conv_layers fixed to 3
        var searched = ConfigJson.Patch("space.conv3_channels", """{"type": "int", "low": 16, "high": 64}""",
            ConfigJson.Patch("space.conv_layers", """{"type": "int", "low": 2, "high": 3}"""));
        var fixedTo3 = ConfigJson.Patch("space.conv3_channels", """{"type": "int", "low": 16, "high": 64}""",
            ConfigJson.Patch("fixed.conv_layers", "3"));

        // When they are loaded, then both are accepted
        Assert.Contains("conv3_channels", StudyConfigLoader.Load(Write(searched, "searched.json")).Space.Names);
        Assert.Contains("conv3_channels", StudyConfigLoader.Load(Write(fixedTo3, "fixed.json")).Space.Names);
    }

    [Theory]
    [InlineData("folder", "$: the config file is a directory, not a file")]
    [InlineData("/dev/zero", "$: the config file is empty, or not a regular file (a device, pipe or special file)")]
    [InlineData("", "a config file path is required, got an empty one")]
    public void WhenTheConfigPathIsNoFileThenOneLineSaysWhatItIs(string given, string expected)
    {
        // Given a folder, a device or an empty path in place of the config file (a device was read until memory ran
        // out, a folder was "access denied", an empty path a .NET message about a parameter)
        var path = given == "folder" ? _folder.Path : given;

        // When it is loaded, then one line names it and what it is
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(path));
        Assert.Equal(given == "" ? expected : $"{path}: {expected}", error.Message);
    }

    [Fact]
    public void WhenTheRootIsNotAnObjectThenTheErrorSaysSo()
    {
        // Given a JSON array
        var file = Write("[1, 2]");

        // When it is loaded
        var error = Assert.Throws<ConfigException>(() => StudyConfigLoader.Load(file));

        // Then the root path is named
        Assert.Equal($"{file}: $: expected an object, got [1, 2]", error.Message);
    }
}
