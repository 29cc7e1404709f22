using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A running study that waits for another process's lock on its study.db says so in its log (study.log and, without
/// a live view, the console's log lines), not as a bare stderr line: under the live view that line cut across the
/// drawing, and study.log had no word of the wait.
/// </summary>
public sealed class StudyLockNoticeCliTests
{
    [Fact]
    public async Task AWaitForAnotherProcesssLockMidStudyIsAWarningOfTheStudysLog()
    {
        // Given a study whose one trial takes about four seconds, with the lock notice after 1 s
        using var dir = new TempDirectory("cli-lock-notice");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 4, EpochSeconds = 1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1,
            tweak: c => c["sampler"] = JsonNode.Parse("""{"kind": "random", "seed": 3}"""));
        var wait = new Dictionary<string, string> { ["MNIST_SEARCH_SQLITE_BUSY_SECONDS"] = "10", ["MNIST_SEARCH_LOCK_NOTICE_SECONDS"] = "1" };
        using var study = SearchCli.Start(dir.Path, wait, "study", "start", config);
        var stderr = study.StandardError.ReadToEndAsync();
        var stdout = study.StandardOutput.ReadToEndAsync();

        // When another process holds the write lock for 2.5 s while the trial runs (its heartbeats must wait)
        await worker.UntilStartedAsync(study, stderr);
        await using (var holder = new SqliteConnection($"Data Source={dir["studies/cli-study/study.db"]};Pooling=false"))
        {
            await holder.OpenAsync();
            await holder.ExecuteAsync("BEGIN IMMEDIATE; UPDATE studies SET study_name = study_name");
            await Task.Delay(2500);
        }
        Assert.True(study.WaitForExit(60_000), "the study did not end");
        await stdout;

        // Then the study finished, study.log has the wait as a warning, and stderr has it only as a log line
        Assert.True(study.ExitCode == 0, await stderr);
        var log = await File.ReadAllTextAsync(dir["studies/cli-study/study.log"]);
        var waits = log.Split('\n').Where(l => l.Contains("waiting for") && l.Contains("locked by another process")).ToList();
        Assert.NotEmpty(waits);
        Assert.All(waits, l => Assert.Contains("[WRN]", l));
        var err = await stderr;
        Assert.Contains("WRN waiting for sqlite:///", err);
        Assert.DoesNotContain("\nwarning: waiting", "\n" + err);
    }
}
