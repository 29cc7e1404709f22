using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study where another Optuna 4.1 client told a trial with parameters the study does not search (weight_decay) and
/// against its fixed values (optimizer=sgd where it fixes adam), with the highest value. It became the best trial and was
/// retrained with SGD and weight decay while `study best` printed "optimizer (fixed) adam" (audit-optuna 1). Retraining
/// must reproduce what was measured, so it is left out of the best everywhere, and the views say so.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ForeignConfigurationBestCliTests
{
    // The study (StudyFiles: conv1_channels 8..64, learning_rate, batch_size searched; optimizer fixed adam) with Optuna's
    // trials 0 (in the space, 0.6), 1 (optimizer=sgd and weight_decay, 0.99) and 2 (conv1_channels 100, above today's
    // range as a taken-over wider study has it, 0.7). The fake worker reports 0.5 + trial / 100.
    private static Task<string> StudyAsync(TempDirectory dir, int trials) => ForeignTrials.StudyAsync(dir, trials, """
        def ours(t, high=64):
            t.suggest_int("conv1_channels", 8, high, log=True)
            t.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
            t.suggest_categorical("batch_size", [64, 128])
        t = study.ask(); ours(t); study.tell(t, 0.6)
        t = study.ask(); ours(t); t.suggest_categorical("optimizer", ["sgd"]); t.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        study.tell(t, 0.99)
        study.enqueue_trial({"conv1_channels": 100}); t = study.ask(); ours(t, high=128); study.tell(t, 0.7)
        assert study.best_trial.number == 1 and study.trials[1].params["optimizer"] == "sgd" and study.trials[2].params["conv1_channels"] == 100
        """);

    [Fact]
    public async Task ATrialAgainstTheFixedValuesIsNoneOfTheStudysBestAndTheViewsSaySo()
    {
        // Given the study with one more trial left in its budget
        using var dir = new TempDirectory("cli-foreign-config");
        var config = await StudyAsync(dir, trials: 4);

        // When it is started, and its best asked of every view
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        var best = await SearchCli.RunAsync(dir.Path, "study", "best", "cli-study", "--format", "json");
        var table = await SearchCli.RunAsync(dir.Path, "study", "best", "cli-study");
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "cli-study", "--format", "json");
        var top = await SearchCli.RunAsync(dir.Path, "trials", "list", "cli-study", "--top", "1", "--format", "json");

        // Then every one names trial 2 (the value outside today's range was measured: it competes), not trial 1
        foreach (var r in new[] { start, best, table, status, top }) Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal(2, (int)JsonNode.Parse(best.Stdout)!["number"]!);
        Assert.Equal(2, (int)JsonNode.Parse(status.Stdout)!["best_trial"]!);
        Assert.Equal(2, (int)JsonNode.Parse(top.Stdout)!.AsArray().Single()!["number"]!);
        Assert.Contains("Best trial 2", start.Stdout);
        // and study best says which better trial it left out and why, and which value lies outside the space
        Assert.Contains("trial 1 (value 0.99) is better but left out", table.Stdout);
        Assert.Contains("optimizer=sgd where fixed says adam", table.Stdout);
        Assert.Contains("weight_decay=", table.Stdout);
        Assert.Contains("conv1_channels=100 is outside the space", table.Stdout);
        Assert.Equal(2, JsonNode.Parse(best.Stdout)!["notes"]!.AsArray().Count);
    }

    [Fact]
    public async Task TheRetrainTrainsTheBestConfigurationOfTheStudyAndSaysWhichItSkipped()
    {
        // Given the study, its highest value being trial 1's (optimizer=sgd, weight_decay)
        using var dir = new TempDirectory("cli-foreign-config-retrain");
        await StudyAsync(dir, trials: 3);

        // When it is retrained
        var retrain = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");

        // Then it retrains trial 2, saying it skipped trial 1 and why, and that trial 2 lies outside today's range
        var output = retrain.Stdout + retrain.Stderr;
        Assert.True(retrain.ExitCode == 0, output);
        Assert.Contains("Retrained trial 2", retrain.Stdout);
        Assert.Contains("Trial 1 (value 0.99) is better than trial 2 but is not retrained", output);
        Assert.Contains("optimizer=sgd where fixed says adam", output);
        Assert.Contains("Trial 2 has values outside the study's space", output);
        // and the worker was given neither sgd nor weight_decay
        var spec = File.ReadAllText(Directory.EnumerateFiles(dir["studies/cli-study/best"], "spec.json", SearchOption.AllDirectories).Single());
        Assert.DoesNotContain("sgd", spec);
        Assert.DoesNotContain("weight_decay", spec);
    }
}
