using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A fact that several commands show is shown one way: a study's storage as <c>study start</c> shows it (sqlite:////abs),
/// however the URL was written; the retrain's test accuracy in a table as a percentage, as the retrain printed it.
/// </summary>
public sealed class OneFactOneFormCliTests
{
    [Fact]
    public async Task StorageAndRetrainAccuracyReadTheSameInEveryCommand()
    {
        // Given a retrained study (its fake retrain scores 0.9 on test)
        using var dir = new TempDirectory("cli-one-form");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(start.ExitCode == 0, start.Stderr);

        // When it is listed (found, and by a relative --storage), its status shown, and a command refuses it
        var found = await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json");
        var given = await SearchCli.RunAsync(dir.Path, "study", "list", "--storage", "sqlite:studies/cli-study/study.db", "--format", "json");
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "cli-study");
        var refused = await SearchCli.RunAsync(dir.Path, "trials", "list", "nope", "--storage", "sqlite:studies/cli-study/study.db");

        // Then every one names the storage as the run did, and the table's accuracy reads as the retrain's line did
        var display = $"sqlite:///{dir["studies/cli-study/study.db"]}";
        Assert.Contains($"Retrained trial 0: test accuracy 90.00 %", start.Stdout);
        Assert.Equal(display, (string?)Assert.Single(JsonNode.Parse(found.Stdout)!.AsArray())!["storage"]);
        Assert.Equal(display, (string?)Assert.Single(JsonNode.Parse(given.Stdout)!.AsArray())!["storage"]);
        Assert.Contains("90.00 %", status.Stdout);
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith($"error: unknown study 'nope' in {display}", refused.Stderr);
    }
}
