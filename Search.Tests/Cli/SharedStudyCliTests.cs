using System.Diagnostics;
using System.Text.Json;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>Several real <c>study worker</c> processes sharing one study, with faults injected.</summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class SharedStudyCliTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task EightWorkersOnOneSqliteFileRunEachTrialExactlyOnce()
    {
        // Given a study of 16 short trials created in one SQLite file, the first 8 start-up points (with 2, a trial that
        // ended before a slow worker's first proposal made that one a GP proposal, which may rightly repeat the best
        // configuration on this noise-like fake objective: seen once in CI under load)
        using var dir = new TempDirectory("cli-sqlite8");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 0.2 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 16, tweak: c => c["sampler"]!["startup_trials"] = 8);
        var url = "sqlite:" + dir["studies/cli-study/study.db"];
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);

        // When eight worker processes join it at once
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", url, "--devices", "cpu")));

        // Then all succeed without lock errors and exactly 16 trials ran, each once
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        Assert.All(results, r => Assert.DoesNotContain("locked", r.Stderr + r.Stdout, StringComparison.OrdinalIgnoreCase));
        var trials = await TrialsAsync(url, dir.Path);
        Assert.True(trials.Count == 16 && trials.All(t => t.State == TrialState.COMPLETE), string.Join("\n", trials.Select(t =>
            $"trial {t.Number} {t.State} {t.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason)} {t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryOf)}")));
        Assert.Equal(Enumerable.Range(0, 16), trials.Select(t => t.Number));
        Assert.Equal(16, worker.Intervals().Select(i => i.Trial).Distinct().Count());
        Assert.True(results.Count(r => r.Stdout.Contains("Best trial")) == 8);
        // And the eight trials the workers started together, before any had a result, are eight different start-up
        // points: each proposal is made for its own trial number (workers that read the study at the same moment used
        // to propose the same point)
        var firstRound = trials.Take(8).Select(t => string.Join(";", t.Params.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value:R}"))).ToList();
        Assert.True(firstRound.Distinct().Count() == 8, string.Join("\n", firstRound.Select((c, i) => $"{i}: {c}")));
    }

    [Fact]
    public async Task WhenOneOfTwoPostgresWorkersIsKilledTheOtherFinishesTheStudyExactly()
    {
        // Given a PostgreSQL study of 8 trials of about 2 s and two workers with two fake GPUs each
        using var dir = new TempDirectory("cli-pg-kill");
        var url = await postgres.CreateDatabaseAsync();
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 1.0 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 8);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config, "--storage", url)).ExitCode);
        using var victim = SearchCli.Start(dir.Path, "study", "worker", "cli-study", "--storage", url, "--devices", "cuda:0,cuda:1");
        var survivor = SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", url, "--devices", "cuda:2,cuda:3");

        // When the first is SIGKILLed while it runs a trial
        await using (var storage = await StorageFactory.OpenAsync(url, dir.Path))
        {
            var study = await WaitForAsync(() => storage.GetStudyAsync("cli-study"));
            await WaitForAsync(async () => (await storage.GetAllTrialsAsync(study.Id, [TrialState.RUNNING]))
                .FirstOrDefault(t => t.SystemAttrs.GetValueOrDefault(StudyAttributes.CoordinatorPid) == victim.Id.ToString()));
        }
        victim.Kill(entireProcessTree: false);
        await victim.WaitForExitAsync();
        var result = await survivor;

        // Then the survivor finishes: exactly 8 budgeted trials, the killed ones FAIL with a retry each, no duplicate numbers
        Assert.True(result.ExitCode == 0, result.Stderr);
        var trials = await TrialsAsync(url, dir.Path);
        Assert.Equal(trials.Count, trials.Select(t => t.Number).Distinct().Count());
        var budget = Budget.Of(trials, 8);
        Assert.True(budget.IsSpent);
        Assert.Equal(8, budget.Used);
        Assert.Equal(8, trials.Count(t => t.State == TrialState.COMPLETE));
        var failed = trials.Where(t => t.State == TrialState.FAIL).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, f => Assert.Contains(trials, r => r.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryOf) == f.Number.ToString()));
    }

    [Theory]
    [InlineData(2)]
    // Longer than the storage's own retries (about 10 s): the coordinator's loop ended at once, and a trial that
    // finished meanwhile lost its result.
    [InlineData(15)]
    public async Task WhenPostgresRestartsMidStudyTheWorkerReconnectsAndFinishes(int downSeconds)
    {
        // Given a PostgreSQL study of 6 trials of about 1 s run by one worker
        using var dir = new TempDirectory("cli-pg-restart");
        var url = await postgres.CreateDatabaseAsync();
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 6);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config, "--storage", url)).ExitCode);
        var run = SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", url, "--devices", "cuda:0");

        // When the server restarts (down for a while) after the first trial completed
        await using (var storage = await StorageFactory.OpenAsync(url, dir.Path))
        {
            var study = await WaitForAsync(() => storage.GetStudyAsync("cli-study"));
            await WaitForAsync(async () => (await storage.GetAllTrialsAsync(study.Id, [TrialState.COMPLETE])).FirstOrDefault());
        }
        await postgres.RestartAsync(TimeSpan.FromSeconds(downSeconds));
        var result = await run;

        // Then the worker still finishes the study with every trial complete, none failed and run again, and every
        // epoch recorded: a trial whose epoch ended while the database was down for longer than the storage's own
        // retries (about 10 s) lost its result and epochs, was failed as dead ("stale heartbeat") and ran again
        Assert.True(result.ExitCode == 0, result.Stderr);
        var trials = await TrialsAsync(url, dir.Path);
        Assert.True(Budget.Of(trials, 6).IsSpent);
        Assert.Equal(6, trials.Count(t => t.State == TrialState.COMPLETE));
        Assert.True(trials.Count == 6, string.Join("; ", trials.Select(t => $"{t.Number} {t.State} {string.Join(",", t.UserAttrs.Keys)} {t.SystemAttrs.GetValueOrDefault(StudyAttributes.FailReason)}")) + "\n" + result.Stderr);
        Assert.All(trials, t => Assert.Equal([1, 2], t.IntermediateValues.Keys.Order()));
    }

    [Fact]
    public async Task AnUnwritableStudiesFolderIsAClearErrorAndTheDatabaseStaysIntact()
    {
        // Given an existing study whose folder is then replaced by a file (a folder nobody can write into)
        using var dir = new TempDirectory("cli-unwritable");
        var url = await postgres.CreateDatabaseAsync();
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config, "--storage", url)).ExitCode);
        Directory.Delete(dir["studies"], recursive: true);
        File.WriteAllText(dir["studies"], "not a folder");

        // When the study is started again with a larger budget
        StudyFiles.WriteConfig(dir.Path, worker, trials: 4);
        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--storage", url);

        // Then it fails with one clear line and exit code 2, and the database still holds its two trials
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot write the study folder", result.Stderr);
        var trials = await TrialsAsync(url, dir.Path);
        Assert.Equal(2, trials.Count(t => t.State == TrialState.COMPLETE));
        Assert.Equal(2, trials.Count);
    }

    private static async Task<IReadOnlyList<TrialSnapshot>> TrialsAsync(string url, string baseDir)
    {
        await using var storage = await StorageFactory.OpenAsync(url, baseDir);
        var study = await storage.GetStudyAsync("cli-study");
        return await storage.GetAllTrialsAsync(study!.Id);
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (await probe() is { } value) return value;
            await Task.Delay(100);
        }
        throw new TimeoutException("condition not reached in 2 minutes");
    }
}
