using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// What the console says when a study is stopped: Ctrl+C with two trials running printed a progress line for each
/// stopped trial, "Progress: 0/4 done …" twice in a row (audit-cli 11).
/// </summary>
public sealed class StopProgressCliTests
{
    [Fact]
    public async Task AStopWithTwoTrialsRunningIsFollowedByOneProgressLine()
    {
        // Given a study of 4 trials run two at a time, whose first two run until they are stopped
        using var dir = new TempDirectory("cli-stop-progress");
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1,
            Behaviours = { [0] = FakeWorker.Behaviour.Hang, [1] = FakeWorker.Behaviour.Hang },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 4, tweak: c =>
        {
            c["budget"]!["max_concurrent"] = 2;
            c["devices"] = JsonNode.Parse("""{"cpu_slots": 2, "threads_per_slot": 1}""");
        });
        await using var run = SearchCli.Watch("study start", dir.Path, 5, "study", "start", config);
        await run.WaitForOutputAsync("Trial 0 started on", TimeSpan.FromMinutes(1));
        await run.WaitForOutputAsync("Trial 1 started on", TimeSpan.FromMinutes(1));

        // When it is stopped, as by Ctrl+C
        run.Signal(UnixSignal.Int);
        Assert.Equal(130, await run.WaitForExitAsync(TimeSpan.FromMinutes(1)));

        // Then one progress line follows the stop, counting both trials failed and queued again
        var output = run.Output;
        var stop = output.IndexOf("SIGINT: stopping", StringComparison.Ordinal);
        Assert.True(stop >= 0, output);
        var progress = output[stop..].Split('\n').Where(l => l.Contains(" Progress: ", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(progress);
        Assert.Contains("0/4 done (0 complete, 0 pruned, 0 failed, 2 failed and retried), 0 running", line);
    }
}
