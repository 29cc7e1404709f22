using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>study delete</c>: refused while a process runs the study (exit 75, try again later; nothing deleted, the study goes on); with
/// --force it deletes it and that process ends in one line; the name is free again and the files are kept.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class StudyDeleteCliTests
{
    [Fact]
    public async Task ARunningStudyIsDeletedOnlyWithForceThenItsProcessEndsAndItsNameStartsAFreshStudy()
    {
        // Given a study of 3 trials of four one-second epochs, running
        using var dir = new TempDirectory("cli-study-delete");
        using var running = await RunningStudy.StartAsync(dir, trials: 3);
        var (study, config) = (running.Process, running.Config);

        // When it is deleted, first without --force, then with it
        var refused = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study"]);
        var stillThere = await SearchCli.RunAsync(dir.Path, ["study", "status", "cli-study", "--format", "json"]);
        var deleted = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study", "--force", "--format", "json"]);

        // Then the first is refused in one line and changes nothing; the second deletes it and the running process ends
        Assert.Equal(75, refused.ExitCode);
        Assert.Equal(
            $"error: study 'cli-study' has 1 RUNNING trial(s) in sqlite:///{dir["studies/cli-study/study.db"]}: a process is running it; " +
            "stop it first, or pass --force to delete it anyway (that process then ends)", refused.Stderr.Trim());
        Assert.True(stillThere.ExitCode == 0, stillThere.Stderr);
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        var result = JsonNode.Parse(deleted.Stdout)!;
        Assert.Equal("cli-study", (string)result["study"]!);
        Assert.InRange((int)result["trials_deleted"]!, 1, 3);
        Assert.Equal(dir["studies/cli-study"], (string)result["files_kept"]!);
        Assert.True(study.WaitForExit(60_000), "the process did not end");
        await running.Stdout;
        var err = await running.Stderr;
        Assert.True(study.ExitCode == 1, $"exit {study.ExitCode}: {err}");
        Assert.Contains("error: study 'cli-study' was deleted from", err.Trim().Split('\n')[^1]);
        Assert.True(Directory.Exists(dir["studies/cli-study/trials"]), "the trial folders were not kept");

        // And the study is unknown now; the same command refuses to start a fresh one among its files, saying why, and
        // with the folder moved away starts one under its name that runs its whole budget
        var gone = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study"]);
        Assert.Equal(2, gone.ExitCode);
        Assert.StartsWith("error: unknown study 'cli-study'", gone.Stderr.Trim());
        var amongOldFiles = await SearchCli.RunAsync(dir.Path, ["study", "start", config]);
        Assert.Equal(2, amongOldFiles.ExitCode);
        Assert.Contains($"study folder {dir["studies/cli-study"]} holds the files of an earlier study 'cli-study'", amongOldFiles.Stderr);
        Directory.Move(dir["studies/cli-study"], dir["old-cli-study"]);
        var again = await SearchCli.RunAsync(dir.Path, ["study", "start", config]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        var status = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, ["study", "status", "cli-study", "--format", "json"])).Stdout)!;
        Assert.Equal(3, (int)status["counts"]!["complete"]!);
    }

    [Fact]
    public async Task RunningTrialsLeftByAKilledProcessAreSaidToBeSoNotToBeRunning()
    {
        // Given a running study whose process is killed (SIGKILL), leaving its trial RUNNING
        using var dir = new TempDirectory("cli-study-delete-killed");
        using var running = await RunningStudy.StartAsync(dir, trials: 3);
        var study = running.Process;
        study.Kill();
        Assert.True(study.WaitForExit(30_000), "the process did not die");

        // When it is deleted, first without --force, then with it
        var refused = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study"]);
        var deleted = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study", "--force"]);

        // Then the refusal names the ended process rather than sending the user to stop one, and --force deletes it
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal(
            $"error: study 'cli-study' has 1 RUNNING trial(s) in sqlite:///{dir["studies/cli-study/study.db"]}, left by process(es) that have ended " +
            $"({Environment.MachineName} pid {study.Id}): nothing runs it; pass --force to delete it (or `study resume` marks them FAIL and runs the rest)",
            refused.Stderr.Trim());
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
    }

    [Fact]
    public async Task AStudyBeingRetrainedIsDeletedOnlyWithForceThenItsProcessEndsInOneLine()
    {
        // Given a study of one trial whose best model takes 5 minutes to retrain, retraining (no trial is RUNNING then),
        // its retrain claim renewed every second
        using var dir = new TempDirectory("cli-study-delete-retrain");
        var worker = new FakeWorker { Directory = dir["worker"], RetrainSeconds = 300 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var renewals = new Dictionary<string, string> { ["MNIST_SEARCH_RETRAIN_RENEW_SECONDS"] = "1" };
        using var study = SearchCli.Start(dir.Path, renewals, "study", "start", config);
        var (stdout, stderr) = (study.StandardOutput.ReadToEndAsync(), study.StandardError.ReadToEndAsync());
        await worker.UntilRetrainStartedAsync(study, stderr);

        // When it is deleted, first without --force, then with it
        var refused = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study"]);
        var deleted = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study", "--force"]);
        bool ended = DeletedWhileRetraining.Ended(study);

        // Then the first is refused in one line naming the retrain's process; the second deletes it, and the retraining
        // process stops its retrain at the next renewal and ends in one line, its worker with it: it retrained on, to end
        // with "error: no study with id 1" and a stack trace at its first write
        Assert.Equal(75, refused.ExitCode);
        Assert.StartsWith($"error: study 'cli-study' is being retrained in sqlite:///{dir["studies/cli-study/study.db"]} (trial 0 by ", refused.Stderr);
        Assert.EndsWith($" pid {study.Id}): wait for it to end, or pass --force to delete it anyway (that process then ends)", refused.Stderr.Trim());
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        await DeletedWhileRetraining.AssertEndedInOneLineAsync(study, ended, stdout, stderr, worker, dir["studies/cli-study/study.db"]);
    }

    [Fact]
    public async Task AStudyDeletedFromOtherStorageNeverNamesTheFolderOfTheSameNamedStudyHereAsItsFiles()
    {
        // Given a study made by `study create` in studies/cli-study, and one of the same name Optuna made in another database
        using var dir = new TempDirectory("cli-study-delete-other");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var created = await SearchCli.RunAsync(dir.Path, ["study", "create", config]);
        Assert.True(created.ExitCode == 0, created.Stderr);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.create_study(study_name="cli-study", storage=sys.argv[1])
            """, $"sqlite:///{dir["other.db"]}");

        // When the other one is deleted
        var deleted = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study", "--storage", "sqlite:other.db", "--format", "json"]);

        // Then no files are named as its own, and the study here is untouched
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        Assert.Null(JsonNode.Parse(deleted.Stdout)!["files_kept"]);
        var here = await SearchCli.RunAsync(dir.Path, ["study", "status", "cli-study"]);
        Assert.True(here.ExitCode == 0, here.Stderr);
    }

    [Fact]
    public async Task RunningTrialsNotHeardFromForLongerThanTheGraceAreNotAReasonToTryAgainLater()
    {
        // Given a created study with one RUNNING trial of a coordinator on another host, its heartbeat an hour old
        using var dir = new TempDirectory("cli-study-delete-stale");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 2);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        var db = dir["studies/cli-study/study.db"];
        long id;
        await using (var storage = await Mnist.Search.Storage.StorageFactory.OpenAsync("sqlite:" + db, dir.Path))
        {
            var study = (await storage.GetStudyAsync("cli-study"))!;
            id = (await storage.CreateTrialAsync(study.Id, Mnist.Search.Vocabulary.TrialState.RUNNING, null,
                new Dictionary<string, object?> { ["host"] = "elsewhere", ["coordinator_pid"] = 4242 })).Id;
            await storage.RecordHeartbeatAsync(id);
        }
        await SetHeartbeatAsync(db, id, "datetime('now', '-1 hour')");

        // When it is deleted without --force, then again once the heartbeat is fresh
        var stale = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study"]);
        await SetHeartbeatAsync(db, id, "datetime('now')");
        var fresh = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study"]);

        // Then the stale one is the user's decision (exit 2, it was 75: a script retrying on 75 looped for good), the
        // fresh one is worth trying again later (75)
        Assert.Equal(2, stale.ExitCode);
        Assert.EndsWith("none heard from for longer than 30 s (their process is gone, or a client that never told them): pass --force to delete it anyway", stale.Stderr.Trim());
        Assert.Equal(75, fresh.ExitCode);
    }

    private static async Task SetHeartbeatAsync(string db, long trialId, string time)
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=false");
        await c.OpenAsync();
        using var update = c.CreateCommand();
        update.CommandText = $"UPDATE trial_heartbeats SET heartbeat = {time} WHERE trial_id = {trialId}";
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }
}
