using Mnist.Search.Retraining;
using Mnist.Search.Space;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Retraining;

/// <summary>What a retrain of a trial lacking searched hyperparameters (an Optuna client's) says it trains them with.</summary>
public sealed class MissingHyperparametersTests
{
    private static readonly StudySettings Settings = new()
    {
        Name = "s", Direction = StudyDirection.MAXIMIZE, Metric = "val_accuracy", Space = CoordinatorHarness.Space,
        Fixed = new Dictionary<string, object?> { ["optimizer"] = "adam" }, Trials = 1, Epochs = 1, StudyDirectory = "/nonexistent",
        Data = new TrialDataSettings("mnist", "/nonexistent", 100, 200),
    };

    // Trial 0 as an Optuna client told it: conv1_channels alone.
    private static readonly TrialSnapshot Partial = new(1, 0, TrialState.COMPLETE, 0.99,
        new Dictionary<string, double> { ["conv1_channels"] = 16 },
        new Dictionary<string, ParameterDistribution> { ["conv1_channels"] = new IntDistribution(8, 64, Log: true) },
        new Dictionary<int, double>(), DateTime.UtcNow, DateTime.UtcNow, new Dictionary<string, string>(), new Dictionary<string, string>());

    [Fact]
    public void TheTrialsWorkerFillsInTheTablesDefaultsAndAnotherProgramItsOwn()
    {
        // The Trials worker's defaults are the table's; another program's are its own, which this tool does not know
        Assert.Equal(["learning_rate=0.001 (the worker's default)", "batch_size=128 (the worker's default)"],
            MissingHyperparameters.Of(Settings, Partial, trialsWorker: true).Select(f => f.ToString()));
        Assert.Equal(["learning_rate (the worker's own default)", "batch_size (the worker's own default)"],
            MissingHyperparameters.Of(Settings, Partial, trialsWorker: false).Select(f => f.ToString()));
    }
}
