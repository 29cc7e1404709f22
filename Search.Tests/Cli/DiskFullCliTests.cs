using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Xunit.Abstractions;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A disk that fills in the middle of a study (a real size-limited tmpfs holding the study folder and its
/// database) stops the study with one clear error, exit 1, and the running trial recorded FAIL, not RUNNING (issue 11).
/// </summary>
public sealed class DiskFullCliTests(ITestOutputHelper output)
{
    [Fact]
    public async Task WhenTheDiskFillsDuringATrialThenTheStudyStopsOnceAndTheTrialIsRecordedFail()
    {
        // Given a study folder on a 16 MiB tmpfs, and a worker that fills that disk while it runs trial 1
        using var disk = SmallDisk.Create(16 << 20);
        if (!disk.IsMounted)
        {
            // Mounting needs root (as here and in CI); without it there is no real full disk to test on.
            Assert.NotEqual("root", Environment.UserName);
            output.WriteLine("mount not permitted (not root): the disk-full test needs a tmpfs and did not run");
            return;
        }
        output.WriteLine($"tmpfs of 16 MiB at {disk.Path}");
        using var dir = new TempDirectory("cli-disk-full");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 3, EpochSeconds = 0.01 }.Write();
        var script = await File.ReadAllTextAsync(worker.ScriptPath);
        var fill = $"if [ \"$n\" = 1 ]; then head -c 64M /dev/zero > '{disk["filler"]}' 2>/dev/null; fi\n";
        await File.WriteAllTextAsync(worker.ScriptPath, script.Replace("for e in $(seq", fill + "for e in $(seq", StringComparison.Ordinal));
        var config = StudyFiles.WriteConfig(disk.Path, worker, trials: 3);

        // When the study runs
        var start = await SearchCli.RunAsync(disk.Path, "study", "start", config);
        output.WriteLine(start.Stderr);

        // Then it exits 1 with one "disk full" error naming the database and no stack trace
        Assert.Equal(1, start.ExitCode);
        var db = disk["studies/cli-study/study.db"];
        var error = Assert.Single(start.Stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("disk full", error);
        Assert.Contains(db, error);
        Assert.DoesNotContain("   at ", start.Stderr);

        // ... trial 0 is COMPLETE, trial 1 FAIL saying why, none RUNNING and no trial 2 was started
        File.Delete(disk["filler"]);
        await using var c = new SqliteConnection($"Data Source={db};Pooling=false");
        await c.OpenAsync();
        var states = (await c.QueryAsync<(long Number, string State)>("SELECT number, state FROM trials ORDER BY number")).ToList();
        Assert.Equal(new[] { (0L, nameof(TrialState.COMPLETE)), (1L, nameof(TrialState.FAIL)) }, states);
        var reason = await c.ExecuteScalarAsync<string>(
            "SELECT value_json FROM trial_system_attributes a JOIN trials t ON t.trial_id = a.trial_id WHERE t.number = 1 AND a.key = @Key",
            new { Key = StudyAttributes.FailReason });
        Assert.Contains("disk full", reason);
    }
    [Theory]
    [InlineData("create")]
    [InlineData("start")]
    public async Task AStudyWhoseDatabaseCannotBeMadeWholeLeavesNoFileBehind(string verb)
    {
        // Given a study folder on a tmpfs with room for part of Optuna's schema only
        using var disk = SmallDisk.Create(1 << 20);
        if (!disk.IsMounted)
        {
            Assert.NotEqual("root", Environment.UserName);
            output.WriteLine("mount not permitted (not root): the test needs a tmpfs and did not run");
            return;
        }
        using var dir = new TempDirectory("cli-half-made");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["storage"] = "sqlite:" + disk["db/study.db"]);
        disk.Fill(leaveBytes: 48 << 10);

        // When the study is created (or started) there
        var run = await SearchCli.RunAsync(dir.Path, "study", verb, config);
        output.WriteLine(run.Stderr);

        // Then it fails in one line, and leaves no database (0 bytes, tables without alembic_version, or the schema without
        // the study: `study status` and `study list` refused each as no Optuna database), nor the folder made for it
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("disk full", run.Stderr);
        Assert.False(Directory.Exists(disk["db"]), string.Join(", ", Directory.Exists(disk["db"]) ? Directory.GetFiles(disk["db"]) : []));
    }
}
