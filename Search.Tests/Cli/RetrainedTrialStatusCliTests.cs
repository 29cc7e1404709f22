using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>study status</c> names the trial whose model was retrained beside its test accuracy, and says when that is no longer
/// the best trial: trials that end after a retrain may make another the best, and the accuracy was shown beside it as its
/// own.
/// </summary>
public sealed class RetrainedTrialStatusCliTests
{
    [Fact]
    public async Task StatusNamesTheRetrainedTrialAndSaysWhenItIsNoLongerTheBest()
    {
        // Given a study of two trials whose best was retrained
        using var dir = new TempDirectory("cli-status-retrained");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c => c["retrain"]!["enabled"] = true);
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var before = await StatusAsync(dir);
        var retrained = (int)before["retrain_trial"]!;

        // When the other trial becomes the best (as a trial ending after the retrain makes it)
        var other = 1 - retrained;
        await using (var c = new SqliteConnection($"Data Source={dir["studies/cli-study/study.db"]};Pooling=false"))
            await c.ExecuteAsync("UPDATE trial_values SET value = 2 WHERE trial_id = (SELECT trial_id FROM trials WHERE number = @other)", new { other });
        var after = await StatusAsync(dir);
        var table = await SearchCli.RunAsync(dir.Path, "study", "status", "cli-study");

        // Then the retrained trial is named beside its accuracy, in JSON and in the table, and said not to be the best
        Assert.Equal((retrained, true), ((int)before["best_trial"]!, (bool)before["retrain_is_best"]!));
        Assert.Equal((other, retrained, false), ((int)after["best_trial"]!, (int)after["retrain_trial"]!, (bool)after["retrain_is_best"]!));
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains($"(trial {retrained}, not the current best trial {other}: `study retrain` retrains that)", table.Stdout);
    }

    private static async Task<JsonObject> StatusAsync(TempDirectory dir)
    {
        var r = await SearchCli.RunAsync(dir.Path, "study", "status", "cli-study", "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var status = JsonNode.Parse(r.Stdout)!.AsObject();
        Assert.NotNull(status["retrain_test_accuracy"]);
        return status;
    }
}
