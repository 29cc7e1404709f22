using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>`study start` on an existing study with a changed configuration (issue 11, item 8).</summary>
public sealed class ResumeConfigCliTests
{
    [Fact]
    public async Task ChangesThatMakeTrialsIncomparableAreRefusedByKeyAndALargerBudgetIsAppliedAndStored()
    {
        // Given a finished study of 1 trial of 1 epoch
        using var dir = new TempDirectory("cli-resume-config");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);

        // When it is started again with more epochs, another train subset, or another seed
        (string Key, Action<JsonObject> Change)[] refused =
        [
            ("budget.epochs", c => c["budget"]!["epochs"] = 2),
            ("dataset.train_subset", c => c["dataset"]!["train_subset"] = 300),
            ("dataset.split_seed", c => c["dataset"]!["split_seed"] = 7),
            ("sampler.seed", c => c["sampler"]!["seed"] = 4),
            ("space.learning_rate", c => c["space"]!["learning_rate"]!["high"] = 0.1),
        ];
        foreach (var (key, change) in refused)
        {
            StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: change);
            var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

            // Then each is refused with exit 2, one line naming the file and the key's JSON path, as every other
            // configuration error does (it said "study 'cli-study' exists with budget.epochs = 1; the configuration says 2"),
            // and nothing is run
            Assert.True(result.ExitCode == 2, $"{key}: exit {result.ExitCode}: {result.Stderr}");
            Assert.StartsWith($"error: {config}: $.{key}: study 'cli-study' was created with ", result.Stderr);
            Assert.Contains("`study create` the new one, `study enqueue NEW --from-study cli-study --top N`, then `study start`", result.Stderr);
            Assert.Single(result.Stderr.Trim().Split('\n'));
            Assert.Single(await TrialsAsync(dir));
        }

        // When the budget grows from 1 to 2 trials
        StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var grown = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it is said, applied (2 trials) and stored, so `study resume` keeps it
        Assert.True(grown.ExitCode == 0, grown.Stderr);
        Assert.Contains("budget.trials changed from 1 to 2; applied and stored", grown.Stderr);
        Assert.Equal(2, (await TrialsAsync(dir)).Count);
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["studies/cli-study/study.db"], dir.Path);
        var stored = await StudyOpener.StoredConfigAsync(storage, (await storage.GetStudyAsync("cli-study"))!);
        Assert.Equal(2, (int)JsonNode.Parse((string)JsonNode.Parse(stored!)!["text"]!)!["budget"]!["trials"]!);
    }

    [Fact]
    public async Task ARefusedChangeToAStudyInASharedDatabaseLeavesNoStudyFolder()
    {
        // Given a study created in a shared database, from a folder that has no studies/ of its own
        using var dir = new TempDirectory("cli-resume-shared");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        Directory.CreateDirectory(dir["shared"]);
        Directory.CreateDirectory(dir["checkout"]);
        var url = "sqlite:" + dir["shared/s.db"];
        var created = await SearchCli.RunAsync(dir["checkout"], "study", "create", StudyFiles.WriteConfig(dir["checkout"], worker, trials: 1), "--storage", url);
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.False(Directory.Exists(dir["checkout/studies"]));

        // When it is started from another checkout whose search.json trains more epochs
        Directory.CreateDirectory(dir["other"]);
        var changed = StudyFiles.WriteConfig(dir["other"], worker, trials: 1, tweak: c => c["budget"]!["epochs"] = 2);
        var result = await SearchCli.RunAsync(dir["other"], "study", "start", changed, "--storage", url);

        // Then it is refused on one line, and no studies/NAME/ (marker, empty study.log) is left behind
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains($"{changed}: $.budget.epochs: study 'cli-study' was created with 1, got 2, which would mix incomparable trials",
            Assert.Single(result.Stderr.Trim().Split('\n')));
        Assert.False(Directory.Exists(dir["other/studies"]), string.Join(", ", Directory.Exists(dir["other/studies"]) ? Directory.GetFileSystemEntries(dir["other/studies"], "*", SearchOption.AllDirectories) : []));
    }

    [Fact]
    public async Task ARefusedChangeWithTheBuiltInWorkerSaysOnlyTheRefusal()
    {
        // Given a study of the built-in worker on the repository's MNIST, created
        using var dir = new TempDirectory("cli-resume-builtin");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1 };
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: BuiltIn));
        Assert.True(created.ExitCode == 0, created.Stderr);

        // When it is started with more epochs
        var result = await SearchCli.RunAsync(dir.Path, "study", "start",
            StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => { BuiltIn(c); c["budget"]!["epochs"] = 2; }));

        // Then the refusal is all it says (the data check's "complete and verified; nothing to fetch" came first)
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains("budget.epochs", Assert.Single((result.Stdout + result.Stderr).Trim().Split('\n')));
    }

    [Fact]
    public async Task AWorkerProgramAddedToAStudyOfTheBuiltInWorkerIsAppliedAndStored()
    {
        // Given a study of the built-in worker, created
        using var dir = new TempDirectory("cli-resume-add-worker");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: BuiltIn));
        Assert.True(created.ExitCode == 0, created.Stderr);

        // When it is started with worker.command added and a fixed value other than its trials ran with
        var refused = await SearchCli.RunAsync(dir.Path, "study", "start",
            StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["fixed"]!["kernel_size"] = 5));

        // Then that value is refused, naming it and the worker change that made it count
        Assert.True(refused.ExitCode == 2, $"exit {refused.ExitCode}: {refused.Stderr}");
        Assert.Contains("$.fixed.kernel_size: study 'cli-study' was created with 3, got 5 ($.worker.command is added: ", refused.Stderr);

        // When it is started with worker.command added and nothing else of what its trials mean changed
        var result = await SearchCli.RunAsync(dir.Path, "study", "start", StudyFiles.WriteConfig(dir.Path, worker, trials: 1));

        // Then the change is applied, logged and stored (README), and its trial runs that program; it was refused as a
        // change of fixed.fc_layers, a key neither file has
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains("worker.command changed from null to [", result.Stderr);
        Assert.DoesNotContain("fc_layers", result.Stderr);
        Assert.Equal(TrialState.COMPLETE, Assert.Single(await TrialsAsync(dir)).State);
    }

    // The built-in worker on the repository's MNIST (StudyFiles writes a FakeWorker's command and a data folder of its own).
    private static void BuiltIn(JsonObject c)
    {
        c.Remove("worker");
        c["dataset"]!["dir"] = Mnist.Search.Tests.Support.Onnx.MnistFiles.Directory;
    }

    private static async Task<IReadOnlyList<TrialSnapshot>> TrialsAsync(TempDirectory dir)
    {
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["studies/cli-study/study.db"], dir.Path);
        return await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id);
    }
}
