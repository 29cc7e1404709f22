using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study that searches <c>conv_layers</c> beside <c>conv2_channels</c> and <c>conv3_channels</c>, through the real
/// command line, the real TorchSharp worker on real MNIST and SQLite: each trial stores only the channels its layer
/// count reads (Optuna's define-by-run), the views and export take such trials, enqueue refuses a child its parent
/// leaves out, and Optuna 4 reads the study with the missing parameters and its TPE goes on with it.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ConditionalStudyEndToEndTests
{
    [Fact]
    public async Task TrialsStoreOnlyTheChannelsTheirConvLayersReadAndEveryViewAndOptunaReadThem()
    {
        // Given a created study of 4 one-epoch trials on 500 images, gp after 2 start-up trials, and two enqueued
        // configurations: 3 conv layers (its channels to sample) and 1 conv layer
        var data = Path.Combine(RepositoryRoot(), "data", "mnist");
        Assert.True(File.Exists(Path.Combine(data, "train-images-idx3-ubyte")), $"{data} is missing: run `dotnet run --project Search -- data fetch mnist`");
        using var dir = new TempDirectory("cond-e2e");
        var config = new JsonObject
        {
            ["study"] = "cond",
            ["dataset"] = new JsonObject { ["name"] = "mnist", ["dir"] = data, ["validation"] = 500, ["train_subset"] = 500 },
            ["space"] = new JsonObject
            {
                ["conv_layers"] = new JsonObject { ["type"] = "int", ["low"] = 1, ["high"] = 3 },
                ["conv2_channels"] = new JsonObject { ["type"] = "int", ["low"] = 4, ["high"] = 16 },
                ["conv3_channels"] = new JsonObject { ["type"] = "int", ["low"] = 4, ["high"] = 16 },
                ["learning_rate"] = new JsonObject { ["type"] = "float", ["low"] = 0.001, ["high"] = 0.003, ["log"] = true },
            },
            ["fixed"] = new JsonObject { ["optimizer"] = "adam", ["conv1_channels"] = 8, ["fc_width"] = 32, ["batch_size"] = 64 },
            ["budget"] = new JsonObject { ["trials"] = 4, ["epochs"] = 1, ["max_concurrent"] = 1 },
            ["sampler"] = new JsonObject { ["kind"] = "gp", ["startup_trials"] = 2, ["seed"] = 5 },
            ["retrain"] = new JsonObject { ["enabled"] = false, ["epochs"] = 1 },
        };
        File.WriteAllText(dir["search.json"], config.ToJsonString());
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", "search.json");
        Assert.True(create.ExitCode == 0, create.Stderr);
        var refused = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "cond", "--param", "conv_layers=1", "--param", "conv3_channels=8");
        var deep = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "cond", "--param", "conv_layers=3");
        var shallow = await SearchCli.RunAsync(dir.Path, "study", "enqueue", "cond", "--param", "conv_layers=1");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal("error: --param conv3_channels: not used by the model with the values given: it is read only when `conv_layers` ≥ 3; remove it or change conv_layers",
            Assert.Single(refused.Stderr.Trim().Split('\n')));
        Assert.True(deep.ExitCode == 0, deep.Stderr);
        Assert.Contains("conv2_channels, conv3_channels, learning_rate will be sampled", deep.Stdout);
        Assert.True(shallow.ExitCode == 0, shallow.Stderr);
        Assert.Contains("; learning_rate will be sampled", shallow.Stdout);

        // When the study runs
        var start = await SearchCli.RunAsync(TimeSpan.FromMinutes(10), dir.Path, "study", "start", "search.json");

        // Then every trial completed with exactly the channels its conv layers read (both enqueued ones as given)
        Assert.True(start.ExitCode == 0, start.Stderr + start.Stdout);
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "cond", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["COMPLETE", "COMPLETE", "COMPLETE", "COMPLETE"], trials.Select(t => (string)t!["state"]!));
        var stored = trials.Select(t => Stored(t!["params"]!.AsObject())).ToList();
        Assert.Equal((3L, 1L), ((long)stored[0]["conv_layers"]!, (long)stored[1]["conv_layers"]!));
        foreach (var p in stored)
            Assert.Equal(Active((long)p["conv_layers"]!), p.Keys.Order());

        // And best, show, export and report take them (export of the one-layer trial: its model has no conv2)
        var best = await SearchCli.RunAsync(dir.Path, "study", "best", "cond", "--format", "json");
        Assert.True(best.ExitCode == 0, best.Stderr);
        var show = await SearchCli.RunAsync(dir.Path, "trials", "show", "cond", "1");
        Assert.True(show.ExitCode == 0, show.Stderr);
        var export = await SearchCli.RunAsync(dir.Path, "study", "export", "cond", "--trial", "1", "--out", dir["export"], "--format", "torchsharp");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.True(File.Exists(dir["export/model.bin"]));
        var report = await SearchCli.RunAsync(dir.Path, "study", "report", "cond");
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.True(File.Exists(dir["studies/cond/report/index.html"]));

        // And Optuna 4 loads the study: its trials lack the parameters ours lack, its distributions are per parameter, and
        // its TPE runs one more trial of it
        var optuna = JsonNode.Parse(await OptunaRunner.RunPythonAsync("""
            import json, sys, optuna
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.load_study(study_name="cond", storage=sys.argv[1])
            trials = [{"params": sorted(t.params), "distributions": sorted(t.distributions)} for t in study.trials]
            best = study.best_trial.number
            # Its own TPE goes on with the study, the children suggested as the worker reads them.
            study.sampler = optuna.samplers.TPESampler(seed=0, n_startup_trials=2)
            def objective(t):
                layers = t.suggest_int("conv_layers", 1, 3)
                for k in range(2, layers + 1):
                    t.suggest_int(f"conv{k}_channels", 4, 16)
                return t.suggest_float("learning_rate", 0.001, 0.003, log=True)
            study.optimize(objective, n_trials=1)
            print(json.dumps({"trials": trials, "best": best, "after": len(study.trials)}))
            """, $"sqlite:///{dir["studies/cond/study.db"]}"))!;
        var seen = optuna["trials"]!.AsArray();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(Active((long)stored[i]["conv_layers"]!), seen[i]!["params"]!.AsArray().Select(n => (string)n!));
            Assert.Equal(seen[i]!["params"]!.ToJsonString(), seen[i]!["distributions"]!.ToJsonString());
        }
        Assert.Equal(["conv_layers", "learning_rate"], seen[1]!["params"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(5, (int)optuna["after"]!);
    }

    private static string[] Active(long layers) =>
        [.. new[] { "conv_layers", "learning_rate" }.Concat(layers >= 2 ? ["conv2_channels"] : []).Concat(layers >= 3 ? ["conv3_channels"] : []).Order()];

    // A parameter a trial lacks is shown null by `trials list` (a searched column of the table): the stored ones are the others.
    private static Dictionary<string, JsonNode?> Stored(JsonObject parameters) =>
        parameters.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Mnist.Search.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
