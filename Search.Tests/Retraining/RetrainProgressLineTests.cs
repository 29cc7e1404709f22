using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Retraining;

/// <summary>The lines a retrain logs as it goes, for a worker that says only what the protocol requires. Real CLI processes.</summary>
public sealed class RetrainProgressLineTests
{
    [Fact]
    public async Task AnEpochWithoutARateIsLoggedWithoutOne()
    {
        // Given a study whose worker's retrain epochs carry a train loss and no images_per_s (optional in the protocol)
        using var dir = new TempDirectory("retrain-rate");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);

        // When it runs and retrains
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then the epoch's line gives the loss and no rate (it said "NaN images/s")
        Assert.True(run.ExitCode == 0, run.Stderr);
        var output = run.Stdout + run.Stderr;
        var line = Assert.Single(output.Split('\n'), l => l.Contains("Retrain epoch 1/1", StringComparison.Ordinal));
        Assert.EndsWith("Retrain epoch 1/1: train loss 0.1000", line.TrimEnd());
        Assert.DoesNotContain("NaN", output);
    }

    [Fact]
    public async Task ATimeLimitUnderAMinuteIsSaidInTheSecondsTheWorkerIsGiven()
    {
        // Given a study whose retrain may take 0.05 minutes (3 s)
        using var dir = new TempDirectory("retrain-limit-line");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1,
            tweak: c => c["retrain"] = new JsonObject { ["enabled"] = true, ["epochs"] = 1, ["max_minutes"] = 0.05 });

        // When it runs and retrains
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then the retrain's first line says the limit as the worker gets it (it said "0.1 min", twice the time)
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("(fewer if they would take over 3 s: retrain.max_minutes)", run.Stdout + run.Stderr);
    }
}
