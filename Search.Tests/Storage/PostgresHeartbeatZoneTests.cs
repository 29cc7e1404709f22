using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Npgsql;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// A PostgreSQL database in a time zone east of UTC (ALTER DATABASE … SET timezone): our sessions are pinned to UTC and
/// wrote heartbeats in UTC, while Optuna's fail_stale_trials compares them with now() in the database's zone, so a
/// Python client with a 60-s grace found every heartbeat of ours 9 h old and failed all our running trials
/// (audit-optuna 3).
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait(Needs.Name, Needs.PostgreSql)]
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class PostgresHeartbeatZoneTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task AnOptunaHeartbeatClientOfADatabaseInTokyoLeavesOurRunningTrialAlone()
    {
        // Given a database whose sessions get Asia/Tokyo, and a study of one trial of twelve one-second epochs (the Python client takes seconds to start) running on it
        var url = await postgres.CreateDatabaseAsync();
        await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Mnist.Search.Storage.StorageUrl.Parse(url, "/").Target) { Pooling = false }.ConnectionString))
        {
            await c.OpenAsync();
            await using var alter = new NpgsqlCommand($"ALTER DATABASE \"{url[(url.LastIndexOf('/') + 1)..]}\" SET timezone = 'Asia/Tokyo'", c);
            await alter.ExecuteNonQueryAsync();
        }
        using var dir = new TempDirectory("pg-heartbeat-zone");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 12, EpochSeconds = 1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["storage"] = url);
        using var run = SearchCli.Start(dir.Path, "study", "start", config, "--no-retrain");
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        await worker.UntilStartedAsync(run, stderr);

        // When an Optuna 4 client with heartbeats (grace 60 s) sweeps stale trials while it runs
        var swept = await OptunaRunner.RunPythonAsync("""
            import sys, time, optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            storage = optuna.storages.RDBStorage(sys.argv[1], heartbeat_interval=1, grace_period=60)
            study = optuna.load_study(study_name="cli-study", storage=storage)
            running = [t.number for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]
            time.sleep(1)  # a heartbeat of ours has been written since the trial started
            for _ in range(4):
                optuna.storages.fail_stale_trials(study)
                time.sleep(0.5)
            print(running, [t.state.name for t in study.trials])
            """, url);
        await run.WaitForExitAsync();

        // Then it found our trial running and failed none, and the trial completed
        Assert.True(run.ExitCode == 0, await stdout + await stderr);
        Assert.StartsWith("[0] ", swept);
        Assert.DoesNotContain("FAIL", swept);
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "cli-study", "--storage", url, "--format", "json");
        Assert.True(status.ExitCode == 0, status.Stderr);
        var counts = JsonNode.Parse(status.Stdout)!["counts"]!;
        Assert.Equal(1, (int)counts["complete"]!);
        Assert.Equal(0, (int)counts["failed"]!);
    }

    [Fact]
    public async Task AProcessWithAnotherPgtzLearnsTheDatabasesZoneNotItsOwn()
    {
        // Given a database in UTC, and a process whose environment says PGTZ=Asia/Tokyo (a Slurm node's, a login shell's)
        var url = await postgres.CreateDatabaseAsync();
        var before = Environment.GetEnvironmentVariable("PGTZ");
        Environment.SetEnvironmentVariable("PGTZ", "Asia/Tokyo");
        string zone;
        try
        {
            // When it opens the storage
            await using var storage = (Mnist.Search.Storage.PostgresStudyStorage)await Mnist.Search.Storage.StorageFactory.OpenAsync(url, "/");
            zone = storage.HeartbeatZone;
            Assert.Equal("Asia/Tokyo", Environment.GetEnvironmentVariable("PGTZ")); // the process's own setting is left as it was
        }
        finally { Environment.SetEnvironmentVariable("PGTZ", before); }

        // Then it writes heartbeats in the database's zone, as every other process of the study (it learnt Tokyo, read a
        // fresh heartbeat of another coordinator as 9 h old and failed that live trial)
        Assert.DoesNotContain("Tokyo", zone);
    }

    [Fact]
    public async Task AHeartbeatAnEarlierVersionWroteInUtcOnADatabaseWestOfUtcIsStale()
    {
        // Given a database in America/New_York, and a RUNNING trial of ours whose last heartbeat an earlier version wrote
        // in UTC a minute ago (hours ahead of New York's wall time)
        var url = await postgres.CreateDatabaseAsync();
        var target = new NpgsqlConnectionStringBuilder(Mnist.Search.Storage.StorageUrl.Parse(url, "/").Target) { Pooling = false };
        await using (var c = new NpgsqlConnection(target.ConnectionString))
        {
            await c.OpenAsync();
            await using var alter = new NpgsqlCommand($"ALTER DATABASE \"{target.Database}\" SET timezone = 'America/New_York'", c);
            await alter.ExecuteNonQueryAsync();
        }
        await using var storage = await Mnist.Search.Storage.StorageFactory.OpenAsync(url, "/");
        var (study, _) = await storage.CreateStudyAsync("west", Mnist.Search.Vocabulary.StudyDirection.MAXIMIZE);
        var trial = await storage.CreateTrialAsync(study.Id, Mnist.Search.Vocabulary.TrialState.RUNNING, null,
            new Dictionary<string, object?> { ["host"] = "elsewhere", ["coordinator_pid"] = 4242 });
        await using (var c = new NpgsqlConnection(target.ConnectionString))
        {
            await c.OpenAsync();
            await using var legacy = new NpgsqlCommand($"UPDATE trial_heartbeats SET heartbeat = (now() AT TIME ZONE 'UTC') - INTERVAL '1 minute' WHERE trial_id = {trial.Id}", c);
            Assert.Equal(1, await legacy.ExecuteNonQueryAsync());
        }

        // When stale trials are swept with a 30-s grace
        var failed = await storage.FailStaleTrialsAsync(study.Id, TimeSpan.FromSeconds(30));

        // Then that trial is failed (it read as 5 h in the future, fresh for hours, its place in the budget held)
        Assert.Equal(trial.Id, Assert.Single(failed).Trial.Id);
    }
}
