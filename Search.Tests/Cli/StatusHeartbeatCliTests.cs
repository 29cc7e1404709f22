using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study status` said which trials run, but not which process runs them (two Slurm tasks both showed "cpu:0"), nor that
/// one's process was gone: a trial whose coordinator was SIGKILLed stayed "running", its elapsed_s growing, until another
/// process of the study started and swept it.
/// </summary>
public sealed class StatusHeartbeatCliTests
{
    [Fact]
    public async Task StatusNamesTheProcessOfARunningTrialAndSaysWhenItsHeartbeatIsStale()
    {
        // Given a study whose one trial runs for a minute, beating every half second
        using var dir = new TempDirectory("cli-status-heartbeat");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 60 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, name: "hb");
        var grace = new Dictionary<string, string> { ["MNIST_SEARCH_HEARTBEAT_GRACE_SECONDS"] = "3" };
        using var study = SearchCli.Start(dir.Path, new Dictionary<string, string> { ["MNIST_SEARCH_HEARTBEAT_SECONDS"] = "0.5" }, "study", "start", config, "--no-retrain");
        study.OutputDataReceived += (_, _) => { };
        study.ErrorDataReceived += (_, _) => { };
        study.BeginOutputReadLine();
        study.BeginErrorReadLine();
        try
        {
            // When status is asked while it runs
            JsonNode? running = null;
            for (var wait = System.Diagnostics.Stopwatch.StartNew(); running is null && wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(300))
            {
                var status = await SearchCli.RunAsync(dir.Path, grace, "study", "status", "hb", "--format", "json");
                if (status.ExitCode == 0 && JsonNode.Parse(status.Stdout)!["running_trials"]!.AsArray() is [var first, ..]) running = first;
            }

            // Then it names the coordinator's host and pid, with a fresh heartbeat
            Assert.NotNull(running);
            Assert.Equal(Environment.MachineName, (string?)running!["host"]);
            Assert.Equal(study.Id, (int?)running["pid"]);
            Assert.InRange((double)running["heartbeat_age_s"]!, 0, 3);
            Assert.False((bool)running["stale"]!);

            // And once the coordinator is SIGKILLed and the grace has passed, the trial is still RUNNING but said stale,
            // in the JSON and in one line under the table
            study.Kill(entireProcessTree: false);
            await study.WaitForExitAsync();
            await Task.Delay(TimeSpan.FromSeconds(4));
            var json = await SearchCli.RunAsync(dir.Path, grace, "study", "status", "hb", "--format", "json");
            var stale = Assert.Single(JsonNode.Parse(json.Stdout)!["running_trials"]!.AsArray())!;
            Assert.True((bool)stale["stale"]!);
            Assert.InRange((double)stale["heartbeat_age_s"]!, 3, 120);
            var table = await SearchCli.RunAsync(dir.Path, grace, "study", "status", "hb");
            Assert.Contains($"Trial 0: no heartbeat for", table.Stdout);
            Assert.Contains($"({Environment.MachineName} pid {study.Id}) is stopped or gone", table.Stdout);
        }
        finally
        {
            if (!study.HasExited) study.Kill(entireProcessTree: true);
            await study.WaitForExitAsync();
        }
    }
}
