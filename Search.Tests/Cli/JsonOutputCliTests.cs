using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The commands a pipeline scripts besides the query commands (`study create`, `study retrain`, `study report`; `data
/// fetch`'s is in DataFetchCliTests) answer `--format json` with one JSON object on stdout, the log staying on stderr: their sentences had to be
/// parsed ("Retrained trial 0: test accuracy 98.12 % (model in …)"). Real CLI processes, a fake worker program.
/// </summary>
public sealed class JsonOutputCliTests
{
    [Fact]
    public async Task CreateRetrainAndReportAnswerJsonForPrograms()
    {
        // Given a study's configuration, run by a fake worker
        using var dir = new TempDirectory("cli-json");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);

        // When it is created twice, run, retrained and reported, each with --format json
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", config, "--format", "json");
        var again = await SearchCli.RunAsync(dir.Path, "study", "create", config, "--format", "json");
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(start.ExitCode == 0, start.Stderr);
        var retrain = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study", "--format", "json");
        var report = await SearchCli.RunAsync(dir.Path, "study", "report", "cli-study", "--format", "json");

        // Then each prints one JSON object saying what it did
        var first = Parse(created);
        Assert.Equal("cli-study", (string?)first["study"]);
        Assert.True((bool)first["created"]!);
        Assert.StartsWith("sqlite:", (string?)first["storage"]);
        Assert.False((bool)Parse(again)["created"]!);

        var model = Parse(retrain);
        Assert.Equal(0, (int)model["trial"]!);
        Assert.InRange((double)model["test_accuracy"]!, 0.0, 1.0);
        Assert.True(Directory.Exists((string?)model["model_dir"]), retrain.Stdout);
        Assert.IsType<JsonObject>(model["metrics"]);

        var written = Parse(report);
        Assert.Equal(Path.Combine(dir.Path, "studies", "cli-study", "report", "index.html"), (string?)written["index"]);
        Assert.True(File.Exists((string?)written["index"]));
    }

    private static JsonObject Parse(SearchCli.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return JsonNode.Parse(r.Stdout)!.AsObject();
    }
}
