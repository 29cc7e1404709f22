using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support.Workers;

namespace Mnist.Search.Tests.Cli;

/// <summary>A coordinator SIGKILLed while its worker, which does not exit at the end of its stdin, runs a trial.</summary>
public sealed class OrphanedWorkerCliTests
{
    [Fact]
    public async Task TheResumeKillsTheWorkerItsDeadCoordinatorLeftBeforeItRunsTheRetry()
    {
        // Given a study of 2 trials whose trial 0 runs a worker that never ends and ignores the end of its stdin
        using var dir = new TempDirectory("cli-orphan-worker");
        var pidFile = dir["worker-0.pid"];
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.1 };
        worker.Custom[0] = $$$"""
            echo $$ > "{{{pidFile}}}.tmp" && mv "{{{pidFile}}}.tmp" "{{{pidFile}}}"
            echo '{"event":"start","config":{}}'
            while :; do sleep 0.2; done
            """;
        var config = StudyFiles.WriteConfig(dir.Path, worker.Write(), trials: 2, name: "o");
        var workerPid = 0;
        try
        {
            // When its coordinator is SIGKILLed while trial 0 runs, and the study is resumed
            using (var first = SearchCli.Start(dir.Path, "study", "start", config, "--no-retrain"))
            {
                for (var waited = 0; !File.Exists(pidFile); waited++)
                {
                    Assert.True(waited < 1200 && !first.HasExited, "trial 0's worker never started");
                    await Task.Delay(100);
                }
                workerPid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
                // (its worker_pid and start time stored: a fixed second's wait could fall short on a loaded machine)
                for (var waited = 0; !await WorkerInstanceStoredAsync(dir["studies/o/study.db"]); waited++)
                {
                    Assert.True(waited < 600 && !first.HasExited, "trial 0's worker start time was never stored");
                    await Task.Delay(100);
                }
                first.Kill(entireProcessTree: false);
                await first.WaitForExitAsync();
            }
            Assert.True(ProcessProbe.IsAlive(workerPid), "the worker died with its coordinator: nothing to test");
            var resume = await SearchCli.RunAsync(dir.Path, "study", "resume", "o", "--no-retrain");

            // Then that worker is gone (it ran on beside its retry, writing into trials/0/), the log says so, and the
            // retry completed the budget
            Assert.True(resume.ExitCode == 0, resume.Stderr);
            Assert.True(await ProcessProbe.WaitGoneAsync(workerPid, TimeSpan.FromSeconds(5)), "the orphaned worker still runs");
            Assert.Contains($"Trial 0: its worker (pid {workerPid}) outlived its dead coordinator; killed it and its process group",
                await File.ReadAllTextAsync(dir["studies/o/study.log"]));
            var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "o", "--format", "json")).Stdout)!.AsArray();
            Assert.Equal(["FAIL", "COMPLETE", "COMPLETE"], trials.Select(t => (string)t!["state"]!));
        }
        finally
        {
            // Never leave it running when the test fails.
            if (workerPid > 1 && ProcessProbe.IsAlive(workerPid)) System.Diagnostics.Process.Start("kill", ["-KILL", "--", $"-{workerPid}"])?.WaitForExit();
        }
    }

    private static async Task<bool> WorkerInstanceStoredAsync(string db)
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        await c.OpenAsync();
        await using var q = c.CreateCommand();
        q.CommandText = "SELECT COUNT(*) FROM trial_system_attributes WHERE key = 'worker_instance'";
        return Convert.ToInt64(await q.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0;
    }
}
