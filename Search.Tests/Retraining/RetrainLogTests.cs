using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// `study retrain` runs the worker program of the study's stored configuration, which whoever may write the database may
/// change: its log names it, as `study worker` and `study resume` do (review 1206j part 1, 5). It takes one device,
/// whatever the search used, so the search's warning about idle slots is not its to give (6). Real CLI processes.
/// </summary>
public sealed class RetrainLogTests
{
    [Fact]
    public async Task ARetrainNamesItsWorkerProgramAndDoesNotWarnAboutIdleSlots()
    {
        // Given a study of one COMPLETE trial whose search left one of its two CPU slots idle (max_concurrent 1)
        using var dir = new TempDirectory("retrain-log");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["devices"] = new JsonObject { ["cpu_slots"] = 2 });
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.Contains("budget.max_concurrent is 1: 1 of the 2 device slots stay idle (cpu:1)", start.Stderr);

        // When it is retrained
        var run = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");

        // Then the log names the worker program it ran, and says nothing of idle slots
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Matches(@"INF Worker program: \S+ .*\{spec\}.* \(worker\.command of the study's configuration\)", run.Stderr);
        Assert.DoesNotContain("stay idle", run.Stderr);
    }
}
