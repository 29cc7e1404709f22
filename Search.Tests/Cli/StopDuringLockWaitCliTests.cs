using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A command waiting for another process's lock on a SQLite study stops within a second or two of SIGTERM, as a CI
/// step's `timeout` expects: it waited out SQLite's busy timeout first (30 s per attempt), in native code no stop reached
/// (audit-ops 1).
/// </summary>
public sealed class StopDuringLockWaitCliTests
{
    [Fact]
    public async Task SigtermWhileEnqueueWaitsForAnotherProcesssLockEndsItWithinSecondsAndQueuesNothing()
    {
        // Given a created study whose database another process holds in an EXCLUSIVE transaction
        using var dir = new TempDirectory("cli-lock-stop");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, name: "lock");
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        await using var holder = new SqliteConnection($"Data Source={dir["studies/lock/study.db"]};Pooling=false");
        await holder.OpenAsync();
        await holder.ExecuteAsync("BEGIN EXCLUSIVE; UPDATE studies SET study_name = study_name");

        // When `study enqueue` (the default 30 s per attempt) says that it waits, and then gets SIGTERM
        var wait = new Dictionary<string, string> { ["MNIST_SEARCH_LOCK_NOTICE_SECONDS"] = "1" };
        using var enqueue = SearchCli.Start(dir.Path, wait, "study", "enqueue", "lock", "--param", "learning_rate=0.002", "--format", "json");
        var stdout = enqueue.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        using var waiting = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await enqueue.StandardError.ReadLineAsync(waiting.Token) is { } line)
        {
            stderr.AppendLine(line);
            if (line.Contains("waiting for sqlite:///", StringComparison.Ordinal)) break;
        }
        Assert.True(stderr.ToString().Contains("locked by another process", StringComparison.Ordinal), stderr.ToString());
        await Task.Delay(1500); // well into the first 30 s attempt
        var signalled = Stopwatch.GetTimestamp();
        Signals.Send(enqueue.Id, UnixSignal.Term);
        var rest = enqueue.StandardError.ReadToEndAsync();
        Assert.True(enqueue.WaitForExit(60_000), "enqueue did not end");
        var took = Stopwatch.GetElapsedTime(signalled);
        stderr.Append(await rest);
        await stdout;

        // Then it ended interrupted within seconds, and nothing was queued once the lock was gone
        Assert.True(enqueue.ExitCode == 130, stderr.ToString());
        Assert.True(took < TimeSpan.FromSeconds(6), $"SIGTERM took {took.TotalSeconds:0.0} s to stop it");
        await holder.ExecuteAsync("ROLLBACK");
        Assert.Equal(0, await holder.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM trials"));
    }
}
