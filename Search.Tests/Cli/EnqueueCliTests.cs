using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study enqueue` and Optuna's <c>enqueue_trial</c> on the same study, through the real command line with a fake
/// worker that keeps the spec each trial was given: enqueued configurations run first, with the given values and the
/// rest sampled, within the budget; bad values are refused with the parameter named and nothing queued.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class EnqueueCliTests
{
    [Fact]
    public async Task EnqueuedConfigurationsRunFirstWithTheirValuesTheRestSampledAndTheBudgetKept()
    {
        // Given a created study of 4 trials and three enqueued configurations, one whole and two giving only the learning rate
        using var dir = new TempDirectory("cli-enqueue");
        var worker = KeepingSpecs(dir, 4);
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 4, name: "e", tweak: c => c["sampler"]!["startup_trials"] = 8);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        var whole = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e",
            "--param", "conv1_channels=16", "--param", "learning_rate=0.002", "--param", "batch_size=128", "--format", "json");
        var partial = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.005");
        var partialToo = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.003");
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.True(partial.ExitCode == 0, partial.Stderr);
        Assert.True(partialToo.ExitCode == 0, partialToo.Stderr);
        Assert.Equal(0, (int)Assert.Single(JsonNode.Parse(whole.Stdout)!["trials"]!.AsArray())!["number"]!);
        Assert.Contains("conv1_channels, batch_size will be sampled", partial.Stdout);
        var queue = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["WAITING", "WAITING", "WAITING"], queue.Select(t => (string)t!["state"]!));
        Assert.Equal((0.005, null), ((double)queue[1]!["params"]!["learning_rate"]!, queue[1]!["params"]!["conv1_channels"]));
        var shown = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "show", "e", "1", "--format", "json")).Stdout)!;
        Assert.Equal("""{"learning_rate":0.005}""", shown["fixed_params"]!.ToJsonString());
        Assert.Equal("[]", shown["epochs"]!.ToJsonString()); // the shape a trial with epochs has (it was null)

        // When the study runs
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then trials 0 to 2 ran the enqueued values (stored, and in the spec the worker got), trial 3 was sampled,
        // and the study holds exactly its 4 trials
        Assert.True(start.ExitCode == 0, start.Stderr);
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE"], trials.Select(t => (string)t!["state"]!));
        Assert.Equal((16L, 0.002, 128L), Stored(trials[0]!));
        Assert.Equal((16L, 0.002, 128L), Given(dir, 0));
        Assert.Equal((0.005, 0.003), (Stored(trials[1]!).LearningRate, Stored(trials[2]!).LearningRate));
        Assert.Equal((0.005, 0.003), (Given(dir, 1).LearningRate, Given(dir, 2).LearningRate));
        Assert.InRange(Stored(trials[1]!).Conv1, 8, 64);
        Assert.Contains(Stored(trials[1]!).Batch, new[] { 64L, 128L });
        Assert.Equal(Stored(trials[3]!), Given(dir, 3));
        Assert.Contains("Trial 1 runs an enqueued configuration: learning_rate as given; conv1_channels, batch_size sampled", File.ReadAllText(dir["studies/e/study.log"]));
        // And what was sampled is each trial's own start-up point: the two partial configurations, and the trial after
        // them, used to get one and the same point (each proposal indexed by the whole study's length)
        var sampled = trials.Skip(1).Select(t => Stored(t!)).Select(c => (c.Conv1, c.Batch)).ToList();
        Assert.True(sampled.Distinct().Count() == 3, string.Join("; ", sampled));
    }

    [Theory]
    [InlineData("learning_rate=0.5", "--param learning_rate: 0.5 is not a number in [0.0001, 0.01]")]
    [InlineData("batch_size=100", "--param batch_size: 100 is not one of 64, 128")]
    [InlineData("conv1_channels=12.5", "--param conv1_channels: 12.5 is not an integer in [8, 64]")]
    [InlineData("conv1_channels=wide", "--param conv1_channels: \"wide\" is not an integer in [8, 64]")]
    [InlineData("kernel_size=5", "--param kernel_size: not a searched hyperparameter (searched: conv1_channels, learning_rate, batch_size)")]
    [InlineData("learning_rate", "--param: expected NAME=VALUE, got 'learning_rate'")]
    public async Task AValueTheSpaceDoesNotAllowIsRefusedNamingItAndNothingIsQueued(string param, string message)
    {
        // Given a created study
        using var dir = new TempDirectory("cli-enqueue-bad");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 0), trials: 3, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);

        // When a bad configuration is enqueued
        var r = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", param);

        // Then one line names the parameter and what it allows, exit 2, and the study has no trial
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: {message}", r.Stderr.Trim());
        Assert.Empty(JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray());
    }

    [Theory]
    [InlineData("42", "a JSON number, not a string")]
    [InlineData("\"{bad\"", "a string that is not JSON")]
    [InlineData("\"[1]\"", "a JSON string without an object with a \"text\" string in it")]
    [InlineData("{\"text\": 1", "not JSON")]
    public async Task WhenTheStoredConfigurationIsDamagedThenEnqueueAndResumeNameTheStudyAndTheAttribute(string valueJson, string what)
    {
        // Given a created study whose stored configuration attribute was damaged (a hand edit, another tool)
        using var dir = new TempDirectory("cli-enqueue-damaged");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 0), trials: 3, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        var db = dir["studies/e/study.db"];
        await using (var c = new SqliteConnection($"Data Source={db};Pooling=false"))
            await c.ExecuteAsync("UPDATE study_system_attributes SET value_json = @valueJson WHERE key = 'mnist_search:settings'", new { valueJson });

        // When a configuration is enqueued and the study resumed
        var enqueue = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.001");
        var resume = await SearchCli.RunAsync(dir.Path, "study", "resume", "e", "--no-retrain");

        // Then each is one line naming the study, its storage, the attribute and what is wrong, exit 2 (each printed a
        // .NET message and a stack trace, exit 1), and the study has no trial
        foreach (var r in new[] { enqueue, resume })
        {
            Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
            var line = Assert.Single(r.Stderr.Trim().Split('\n'));
            Assert.StartsWith($"error: study 'e' in sqlite:///{db}: its stored configuration (study system attribute mnist_search:settings) is {what}", line);
        }
        Assert.Empty(JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray());
    }

    [Fact]
    public async Task WhenTheBudgetIsSpentEnqueuingIsRefusedAndSaysHowToRaiseIt()
    {
        // Given a study that ran its 2 trials
        using var dir = new TempDirectory("cli-enqueue-full");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 2), trials: 2, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);

        // When a configuration is enqueued
        var r = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.001");

        // Then
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("has 0 trial(s) left in its budget of 2 (the rest used, running or queued), not 1: raise budget.trials", r.Stderr);
    }

    [Fact]
    public async Task TheTrialsSelectionKeepsForRepeatsAreNotOfferedToEnqueuedConfigurations()
    {
        // Given a created study of 4 trials whose last 2 repeat its best configuration (selection 1 x 2)
        using var dir = new TempDirectory("cli-enqueue-selection");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 0), trials: 4, name: "e",
            tweak: c => c["selection"] = new JsonObject { ["candidates"] = 1, ["repeats"] = 2 });
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);

        // When three configurations are enqueued
        var first = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.001");
        var second = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.002");
        var third = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.003");

        // Then two are queued and the third is refused, naming the kept trials (enqueued trials took them, and the study
        // ended with no repeat)
        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));
        Assert.Equal(2, third.ExitCode);
        Assert.Contains("has 0 trial(s) left in its budget of 4 (the rest used, running or queued, or kept for selection's 2 repeat(s)), not 1", third.Stderr);
        Assert.Equal(2, JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray().Count);
    }

    [Fact]
    public async Task ATrialEnqueuedByOptunaRunsWithItsFixedParamsAndOursIsReadByOptunaAsItsOwn()
    {
        // Given a created study, one configuration enqueued by Optuna 4 and one by us
        using var dir = new TempDirectory("cli-enqueue-optuna");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 2), trials: 2, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        var url = $"sqlite:///{dir["studies/e/study.db"]}";
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.load_study(study_name="e", storage=sys.argv[1]).enqueue_trial({"conv1_channels": 24, "learning_rate": 0.004})
            """, url);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "batch_size=64", "--param", "learning_rate=0.001")).ExitCode);

        // When Optuna reads ours as it would run it
        var optuna = JsonNode.Parse(await OptunaRunner.RunPythonAsync("""
            import json, sys, optuna
            study = optuna.load_study(study_name="e", storage=sys.argv[1])
            waiting = [t for t in study.get_trials() if t.state == optuna.trial.TrialState.WAITING]
            print(json.dumps([t.system_attrs["fixed_params"] for t in waiting]))
            """, url))!.AsArray();

        // Then it sees both as enqueued configurations
        Assert.Equal("""[{"conv1_channels":24,"learning_rate":0.004},{"batch_size":64,"learning_rate":0.001}]""", optuna.ToJsonString());

        // And when our coordinator runs the study, Optuna's configuration is run with its values, the rest sampled
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(start.ExitCode == 0, start.Stderr);
        var given = Given(dir, 0);
        Assert.Equal((24L, 0.004), (given.Conv1, given.LearningRate));
        Assert.Contains(given.Batch, new[] { 64L, 128L });
        Assert.Equal((64L, 0.001), (Given(dir, 1).Batch, Given(dir, 1).LearningRate));
    }

    [Fact]
    public async Task ATrialOptunaEnqueuesAfterTheBudgetIsSpentIsLeftWaitingAndSaidOnce()
    {
        // Given a study that ran its 2 trials, and a configuration Optuna 4 enqueued after that (ours refuses it: exit 2)
        using var dir = new TempDirectory("cli-enqueue-optuna-beyond");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 3), trials: 2, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.load_study(study_name="e", storage=sys.argv[1]).enqueue_trial({"learning_rate": 0.004})
            """, $"sqlite:///{dir["studies/e/study.db"]}");

        // When the study is run again
        var again = await SearchCli.RunAsync(dir.Path, "study", "resume", "e", "--no-retrain");

        // Then that trial is left WAITING, not run (it ran as a 13th of 12 trials: "13/12 done"), and the log says why
        Assert.True(again.ExitCode == 0, again.Stderr);
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["COMPLETE", "COMPLETE", "WAITING"], trials.Select(t => (string)t!["state"]!));
        Assert.False(File.Exists(dir["spec-2.json"]));
        var log = await File.ReadAllTextAsync(dir["studies/e/study.log"]);
        Assert.Contains("1 enqueued trial(s) beyond the budget of 2 are left WAITING (trial(s) 2); to run them, raise budget.trials", log);
    }

    [Fact]
    public async Task AnEarlierStudysBestConfigurationsSeedANewStudyWithTheValuesItsSpaceAllows()
    {
        // Given an earlier study of 4 trials (the fake worker scores later trials higher: trials 3 and 2 are best)
        // and a new study whose conv1_channels range excludes high channel counts
        using var dir = new TempDirectory("cli-enqueue-from");
        var worker = KeepingSpecs(dir, 0);
        var earlier = StudyFiles.WriteConfig(dir.Path, worker, trials: 4, name: "old");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", earlier)).ExitCode);
        var old = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "old", "--format", "json")).Stdout)!.AsArray();
        var next = StudyFiles.WriteConfig(dir.Path, worker, trials: 4, name: "new", tweak: c => c["space"]!["conv1_channels"]!["high"] = 16);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", next)).ExitCode);

        // When the new study is seeded with the earlier one's two best
        var r = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "new", "--from-study", "old", "--top", "2", "--format", "json");

        // Then two trials are queued with their learning rates and batch sizes, and conv1_channels where it fits the new range
        Assert.True(r.ExitCode == 0, r.Stderr);
        var queued = JsonNode.Parse(r.Stdout)!["trials"]!.AsArray();
        foreach (var (q, source) in queued.Zip(new[] { old[3]!, old[2]! }))
        {
            var fixedParams = q!["fixed_params"]!;
            Assert.Equal((double)source["params"]!["learning_rate"]!, (double)fixedParams["learning_rate"]!);
            Assert.Equal((long)source["params"]!["batch_size"]!, (long)fixedParams["batch_size"]!);
            var conv1 = (long)source["params"]!["conv1_channels"]!;
            Assert.Equal(conv1 <= 16 ? conv1 : null, (long?)fixedParams["conv1_channels"]);
        }
        // And asked for the three best, the two already queued are skipped and the third is queued
        var third = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "new", "--from-study", "old", "--top", "3", "--format", "json");
        Assert.True(third.ExitCode == 0, third.Stderr);
        Assert.Equal([0, 1], JsonNode.Parse(third.Stdout)!["skipped"]!.AsArray().Select(q => (int)q!["same_as"]!));
        Assert.Single(JsonNode.Parse(third.Stdout)!["trials"]!.AsArray());
        var both = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "new", "--from-study", "old", "--param", "learning_rate=0.001");
        Assert.Equal((2, "error: give either --param NAME=VALUE... or --from-study NAME"), (both.ExitCode, both.Stderr.Trim()));
        // And a source study that is not there is named as the source (the same words as for the target before)
        var empty = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "new", "--from-study", "");
        var unknown = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "new", "--from-study", "nosuch");
        Assert.Equal((2, 2), (empty.ExitCode, unknown.ExitCode));
        Assert.StartsWith("error: --from-study: ", empty.Stderr.Trim());
        Assert.StartsWith("error: --from-study: unknown study 'nosuch'", unknown.Stderr.Trim());
        Assert.Equal(3, JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "new", "--format", "json")).Stdout)!.AsArray().Count);
    }

    [Fact]
    public async Task EnqueuingTheSameConfigurationTwiceQueuesItOnceUnlessDuplicatesAreAllowed()
    {
        // Given a created study with one configuration enqueued
        using var dir = new TempDirectory("cli-enqueue-twice");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 0), trials: 6, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        string[] same = ["study", "enqueue", "e", "--param", "learning_rate=0.003", "--param", "batch_size=64"];
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, same)).ExitCode);

        // When it is enqueued again (a script run twice), as JSON, then with --allow-duplicates
        var again = await SearchCli.RunAsync(dir.Path, same);
        var json = await SearchCli.RunAsync(dir.Path, [.. same, "--format", "json"]);
        var allowed = await SearchCli.RunAsync(dir.Path, [.. same, "--allow-duplicates"]);

        // Then the repeats are skipped, naming the trial that has it (both were queued, spending the budget on repeats),
        // and only --allow-duplicates queues it a second time
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal("""Not enqueued: trial 0 (WAITING) already has {"learning_rate":0.003,"batch_size":64}; --allow-duplicates queues it anyway.""", again.Stdout.Trim());
        var skipped = JsonNode.Parse(json.Stdout)!;
        Assert.Empty(skipped["trials"]!.AsArray());
        Assert.Equal(0, (int)Assert.Single(skipped["skipped"]!.AsArray())!["same_as"]!);
        Assert.True(allowed.ExitCode == 0, allowed.Stderr);
        var queue = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(2, queue.Count);

        // And, as Optuna's skip_if_exists rule has it, a value within a relative 1e-5 is the same, while a configuration
        // of other names (a part of it) is another one
        var close = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "learning_rate=0.0030000001", "--param", "batch_size=64");
        var part = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "e", "--param", "batch_size=64");
        Assert.StartsWith("Not enqueued: trial 0 (WAITING)", close.Stdout.Trim());
        Assert.StartsWith("Trial 2 of e enqueued", part.Stdout.Trim());
    }

    [Fact]
    public async Task ABestTrialWithNoValueTheSpaceAllowsIsPassedOverAndTheOthersAreQueued()
    {
        // Given an Optuna study whose best trial searched only a conv1_channels above the new study's range, and whose
        // second best one inside it
        using var dir = new TempDirectory("cli-enqueue-from-partial");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 0), trials: 4, name: "new", tweak: c => c["space"]!["conv1_channels"]!["high"] = 16);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            s = optuna.create_study(study_name="old", storage=sys.argv[1], direction="maximize")
            s.enqueue_trial({"conv1_channels": 11}); s.enqueue_trial({"conv1_channels": 31})
            s.optimize(lambda t: t.suggest_int("conv1_channels", 4, 32) / 100, n_trials=2)
            """, $"sqlite:///{dir["old.db"]}");

        // When the new study is seeded with its two best
        var r = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "new", "--from-study", "old", "--from-storage", "sqlite:" + dir["old.db"], "--top", "2", "--format", "json");

        // Then the best one is passed over with a warning naming it, and the second is queued (both were refused, "none of
        // study 'old''s parameters fit")
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("warning: --from-study: trial 1 of study 'old' is not enqueued: none of its values fit this study's space", r.Stderr.Trim());
        Assert.Equal(11, (int)Assert.Single(JsonNode.Parse(r.Stdout)!["trials"]!.AsArray())!["fixed_params"]!["conv1_channels"]!);
        Assert.Equal(1, (int)Assert.Single(JsonNode.Parse(r.Stdout)!["skipped"]!.AsArray())!["from_trial"]!);
    }

    [Fact]
    public async Task ValuesOptunaEnqueuedOutsideTheSpaceAreSampledInsteadEachNamedAndTheOthersKept()
    {
        // Given a created study of 2 trials and a configuration Optuna enqueued with a learning rate and a batch size
        // outside its space, and a conv1_channels inside it
        using var dir = new TempDirectory("cli-enqueue-optuna-bad");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 2), trials: 2, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.load_study(study_name="e", storage=sys.argv[1]).enqueue_trial({"learning_rate": 5.0, "batch_size": 512, "conv1_channels": 16})
            """, $"sqlite:///{dir["studies/e/study.db"]}");

        // When the study runs
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then that trial runs with conv1_channels 16 and the other two sampled inside the space, a warning naming both
        // (it was FAIL, naming the learning rate alone, and counted against the budget), and both trials complete
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.Contains("Trial 0: its enqueued fixed_params: learning_rate: 5 is not a number in [0.0001, 0.01]; batch_size: 512 is not one of 64, 128; sampled instead", start.Stderr);
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["COMPLETE", "COMPLETE"], trials.Select(t => (string)t!["state"]!));
        var (conv1, learningRate, batch) = Stored(trials[0]!);
        Assert.Equal(16, conv1);
        Assert.InRange(learningRate, 0.0001, 0.01);
        Assert.Contains(batch, new[] { 64L, 128L });
        Assert.Equal(Stored(trials[0]!), Given(dir, 0));
    }

    [Fact]
    public async Task AValueOptunaEnqueuedForAHyperparameterTheStudyDoesNotSearchIsIgnoredAsOptunaIgnoresIt()
    {
        // Given a created study of 1 trial and a configuration Optuna enqueued with a value the study does not search
        using var dir = new TempDirectory("cli-enqueue-optuna-extra");
        var config = StudyFiles.WriteConfig(dir.Path, KeepingSpecs(dir, 1), trials: 1, name: "e");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.load_study(study_name="e", storage=sys.argv[1]).enqueue_trial({"conv1_channels": 24, "momentum": 0.9})
            """, $"sqlite:///{dir["studies/e/study.db"]}");

        // When the study runs
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then the configuration runs with its searched value (it was failed, "momentum: not a searched
        // hyperparameter", and never run), and the log says what was ignored
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.Equal(24L, Given(dir, 0).Conv1);
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "e", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["COMPLETE"], trials.Select(t => (string)t!["state"]!));
        Assert.Contains("give momentum, which this study does not search; ignored, as Optuna does", await File.ReadAllTextAsync(dir["studies/e/study.log"]));
    }

    // A fake worker that copies each trial's spec to spec-N.json before running it normally.
    private static FakeWorker KeepingSpecs(TempDirectory dir, int trials)
    {
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 };
        for (var n = 0; n < trials; n++) worker.Custom[n] = $"cp \"$1\" \"{dir[$"spec-{n}.json"]}\"";
        return worker.Write();
    }

    private static (long Conv1, double LearningRate, long Batch) Stored(JsonNode trial) =>
        ((long)trial["params"]!["conv1_channels"]!, (double)trial["params"]!["learning_rate"]!, (long)trial["params"]!["batch_size"]!);

    private static (long Conv1, double LearningRate, long Batch) Given(TempDirectory dir, int trial)
    {
        var h = JsonNode.Parse(File.ReadAllText(dir[$"spec-{trial}.json"]))!["hyperparameters"]!;
        return ((long)h["conv1_channels"]!, (double)h["learning_rate"]!, (long)h["batch_size"]!);
    }
}
