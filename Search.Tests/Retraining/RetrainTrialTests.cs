using Mnist.Search.Config;
using Mnist.Search.Retraining;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Workers;
using Serilog;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// A retrain runs the trial its claim was taken for: the best may change between the claim and the retrain (another
/// worker's trial ends meanwhile), and the claim was then ended "done" for a trial that was never retrained.
/// </summary>
public sealed class RetrainTrialTests
{
    [Fact]
    public async Task TheGivenTrialIsRetrainedEvenWhenAnotherIsBestNow()
    {
        // Given a study of two trials where trial 1 is the best (the fake worker's values rise with the number)
        await using var h = await CoordinatorHarness.CreateAsync(trials: 2);
        var (study, trials) = await h.RunAsync(CoordinatorHarness.Cpu());
        Assert.Equal(1, BestTrial.Of(trials, h.Settings.Direction)!.Number);

        // When trial 0 is retrained by number (the one a claim was taken for)
        var retrainer = new BestModelRetrainer(h.Storage, new ProcessWorkerLauncher(TimeSpan.FromSeconds(2)), new TrialCommand(h.Worker.Command), Log.Logger);
        var result = await retrainer.RetrainAsync(h.Settings, study, new RetrainConfig(true, 1, null), CoordinatorHarness.Cpu()[0], default, trialNumber: 0);

        // Then trial 0 is what was retrained
        Assert.Equal(0, result.TrialNumber);
        Assert.True(File.Exists(Path.Combine(result.Directory, "model.bin")));
    }

    [Fact]
    public async Task AWorkerThatRefusedOneDnnForTheRetrainIsSaidInTheLogWithItsReason()
    {
        // Given a study whose retrain's worker says it was asked for oneDNN and refused it (what Trials prints when its
        // check finds oneDNN computing the network wrong)
        var worker = new FakeWorker
        {
            Directory = "",
            RetrainStart = """{"event":"start","config":{},"onednn":false,"onednn_refused":"the output differs by 35 % at batch size 256"}""",
        };
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1, worker);
        var (study, _) = await h.RunAsync(CoordinatorHarness.Cpu());
        var (logger, sink) = CollectingSink.Create();

        // When its best trial is retrained
        var retrainer = new BestModelRetrainer(h.Storage, new ProcessWorkerLauncher(TimeSpan.FromSeconds(2)), new TrialCommand(h.Worker.Command), logger);
        var result = await retrainer.RetrainAsync(h.Settings, study, new RetrainConfig(true, 1, null), CoordinatorHarness.Cpu()[0], default);

        // Then the retrain counts, and the warning says so with the reason (a user asking for oneDNN learns why it is not used)
        Assert.Equal(0.9, result.TestAccuracy);
        Assert.Contains(sink.Messages(Serilog.Events.LogEventLevel.Warning), m =>
            m == "Retrain: the worker was asked for oneDNN but trains on libtorch's own kernels: \"the output differs by 35 % at batch size 256\"");
    }

    [Theory]
    [InlineData(2000, 1000, 1, 5.0, 150.0)] // one 60,000-image retrain epoch is 30 one-epoch trials of 2,000 images
    [InlineData(2000, 1000, 3, 5.0, 50.0)]
    [InlineData(0, 5000, 3, 10.0, 10.0)] // trials on all 55,000 others: a retrain epoch is less than a trial
    [InlineData(1, 1000, 1, 60_000.0, 71_582.0)] // no longer than a .NET timer waits (49.7 days)
    [InlineData(1, 1000, 1, 71_582.0, 71_582.0)] // nor shorter than a trial's timeout
    public async Task ARetrainWorkerMayBeSilentForATrialsTimeoutTimesTheTrialsImagesOneRetrainEpochReads(
        int subset, int validation, int epochs, double timeoutMinutes, double silenceMinutes)
    {
        await using var h = await CoordinatorHarness.CreateAsync(trials: 1);
        var settings = h.Settings with
        {
            Epochs = epochs,
            Data = h.Settings.Data with { TrainSubset = subset, Validation = validation },
            TrialTimeout = TimeSpan.FromMinutes(timeoutMinutes),
        };

        Assert.Equal(silenceMinutes, BestModelRetrainer.Silence(settings).TotalMinutes, 3);
    }
}
