using System.Diagnostics;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A `study start` under a PostgreSQL outage (audit-chaos 1): it rides the outage out for its window
/// (<see cref="StorageOutage.WindowVariable"/>, 30 min by default; 2 min before, not settable, ended unattended studies at
/// a 2.5-min restart), says the window's deadline once rather than "trying again for up to 2 min" at every try of every
/// request, and, when the database stays away past it, stops with a line in study.log (it was on stderr alone).
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class StorageOutageWindowCliTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task AnOutageWithinTheWindowIsSaidOnceWithItsDeadlineAndTheResultFinishedMeanwhileIsRecorded()
    {
        // Given a PostgreSQL study of 3 trials of about 6 s, started with an outage window of 1 min
        Assert.True(postgres.OwnsServer, $"the test stops the server: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable}");
        using var dir = new TempDirectory("cli-pg-outage-window");
        var url = await postgres.CreateDatabaseAsync();
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 3 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 3);
        var run = SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { [StorageOutage.WindowVariable] = "1" },
            "study", "start", config, "--storage", url, "--no-retrain");

        // When the server is down for 15 s (longer than the storage's own retries) once trial 1 has started (it ends meanwhile)
        await UntilAsync(url, dir.Path, "trial 1 started", trials => trials.Any(t => t.Number == 1 && t.SystemAttrs.ContainsKey(StudyAttributes.WorkerPid)), run);
        await postgres.RestartAsync(TimeSpan.FromSeconds(15));
        var result = await run;

        // Then the study ends with its 3 trials complete, each with both epochs: none failed and run again
        Assert.True(result.ExitCode == 0, result.Stderr);
        var trials = await TrialsAsync(url, dir.Path);
        Assert.True(trials.Count == 3 && trials.All(t => t.State == TrialState.COMPLETE), string.Join("; ", trials.Select(t => $"{t.Number} {t.State}")));
        Assert.All(trials, t => Assert.Equal([1, 2], t.IntermediateValues.Keys.Order()));
        // And study.log says the outage with its deadline once, and its end once, not every try of every request
        var log = File.ReadAllLines(dir["studies/cli-study/study.log"]);
        Assert.Single(log, l => l.Contains("[WRN]") && l.Contains("this process waits for it until") && l.Contains(StorageOutage.WindowVariable));
        Assert.Single(log, l => l.Contains("The database answers again after") && l.Contains("the study goes on"));
        Assert.DoesNotContain(log, l => l.Contains("trying again for up to") || l.Contains("Heartbeat of trial"));
        Assert.True(log.Count(l => l.Contains("[WRN]")) <= 8, string.Join("\n", log.Where(l => l.Contains("[WRN]"))));
    }

    [Fact]
    public async Task WhenTheDatabaseStaysDownPastTheWindowTheProcessStopsAndStudyLogSaysWhy()
    {
        // Given a PostgreSQL study whose trials run for a minute, started with an outage window of about a second
        Assert.True(postgres.OwnsServer, $"the test stops the server: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable}");
        using var dir = new TempDirectory("cli-pg-outage-stop");
        var url = await postgres.CreateDatabaseAsync();
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 30 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var run = SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { [StorageOutage.WindowVariable] = "0.02" },
            "study", "start", config, "--storage", url, "--no-retrain");

        // When the server goes down for a minute while trial 0 runs (30 s was too short: the storage's retries of each
        // request in turn, then the window and its last try, outlast it)
        await UntilAsync(url, dir.Path, "trial 0 started", trials => trials.Any(t => t.State == TrialState.RUNNING), run);
        var restart = postgres.RestartAsync(TimeSpan.FromSeconds(60));
        var first = await Task.WhenAny(run, restart);
        await restart; // the server is back for the next test, whatever the run did

        // Then the process stopped before the server came back (it rode out 2 min whatever was asked), exit 1
        Assert.True(first == run, "the run did not stop within the outage");
        var result = await run;
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.Stderr}");
        // And study.log, not only stderr, ends saying that it stopped and why
        var log = File.ReadAllLines(dir["studies/cli-study/study.log"]);
        var last = log.Last(l => l.Length > 0);
        Assert.Contains("[ERR]", last);
        Assert.Contains("The database did not answer within", last);
        Assert.Contains("this process stopped", last);
    }

    private static async Task UntilAsync(string url, string baseDir, string what, Func<IReadOnlyList<TrialSnapshot>, bool> reached, Task<SearchCli.Result> run)
    {
        for (var clock = Stopwatch.StartNew(); ; await Task.Delay(100))
        {
            if (run.IsCompleted) Assert.Fail($"the run ended before {what}: {(await run).Stderr}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"not within a minute: {what}");
            try
            {
                if (reached(await TrialsAsync(url, baseDir))) return;
            }
            catch (Exception e) when (e is NullReferenceException or StorageException) { } // the study is not made yet
        }
    }

    private static async Task<IReadOnlyList<TrialSnapshot>> TrialsAsync(string url, string baseDir)
    {
        await using var storage = await StorageFactory.OpenAsync(url, baseDir);
        var study = await storage.GetStudyAsync("cli-study");
        return await storage.GetAllTrialsAsync(study!.Id);
    }
}
