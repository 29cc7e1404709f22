using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// <c>retrain.max_minutes</c> and <c>study retrain --max-minutes</c> reach the worker as the spec's <c>max_seconds</c>,
/// through the real command line (the worker's side, cutting the epochs, is in <c>WorkerProcessTests</c>).
/// </summary>
public sealed class RetrainTimeBudgetTests
{
    [Fact]
    public async Task WhenTheRetrainHasATimeBudgetThenTheWorkerIsToldItAndRetrainJsonRecordsIt()
    {
        // Given a one-trial study whose retrain may take half a minute
        using var dir = new TempDirectory("cli-retrain-budget");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1,
            tweak: c => c["retrain"] = new JsonObject { ["enabled"] = true, ["epochs"] = 1, ["max_minutes"] = 0.5 });

        // When it runs
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then the retrain's spec carries the budget in seconds, and retrain.json both the budget and the epochs
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(30, (int)Read(dir["studies/cli-study/best/spec.json"])["max_seconds"]!);
        var summary = Read(dir["studies/cli-study/best/retrain.json"]);
        Assert.Equal(0.5, (double)summary["max_minutes"]!);
        Assert.Equal(1, (int)summary["epochs_configured"]!);

        // And when it is retrained again with another budget on the command line, that one wins
        var again = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study", "--max-minutes", "0.25");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(15, (int)Read(dir["studies/cli-study/best/spec.json"])["max_seconds"]!);

        // And a budget that is no budget is refused with one line
        var bad = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study", "--max-minutes", "0");
        Assert.Equal(2, bad.ExitCode);
        var line = Assert.Single(bad.Stderr.Trim().Split('\n'));
        Assert.Equal("error: --max-minutes: must be a positive number of minutes, got 0", line);
    }

    private static JsonNode Read(string path) => JsonNode.Parse(File.ReadAllText(path))!;
}
