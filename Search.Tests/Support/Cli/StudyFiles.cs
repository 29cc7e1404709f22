using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Support.Cli;

/// <summary>Writes a <c>search.json</c> that runs a <see cref="FakeWorker"/> instead of training.</summary>
internal static class StudyFiles
{
    public static string WriteConfig(string dir, FakeWorker worker, int trials, string name = "cli-study", Action<JsonObject>? tweak = null)
    {
        var config = new JsonObject
        {
            ["study"] = name,
            ["dataset"] = new JsonObject { ["name"] = "mnist", ["dir"] = "data", ["validation"] = 100, ["train_subset"] = 200 },
            ["objective"] = new JsonObject { ["metric"] = "val_accuracy", ["direction"] = "maximize" },
            ["space"] = new JsonObject
            {
                ["conv1_channels"] = new JsonObject { ["type"] = "int", ["low"] = 8, ["high"] = 64, ["log"] = true },
                ["learning_rate"] = new JsonObject { ["type"] = "float", ["low"] = 0.0001, ["high"] = 0.01, ["log"] = true },
                ["batch_size"] = new JsonObject { ["type"] = "categorical", ["choices"] = new JsonArray(64, 128) },
            },
            ["fixed"] = new JsonObject { ["optimizer"] = "adam" },
            ["budget"] = new JsonObject { ["trials"] = trials, ["epochs"] = worker.Epochs, ["max_concurrent"] = 1 },
            ["sampler"] = new JsonObject { ["kind"] = "gp", ["startup_trials"] = 2, ["seed"] = 3 },
            ["pruner"] = new JsonObject { ["kind"] = "none" },
            ["devices"] = "auto",
            ["retrain"] = new JsonObject { ["enabled"] = false, ["epochs"] = 1 },
            ["storage"] = $"sqlite:studies/{name}/study.db",
            ["worker"] = new JsonObject { ["command"] = new JsonArray(worker.Command.Select(c => (JsonNode)c).ToArray()) },
        };
        tweak?.Invoke(config);
        var path = Path.Combine(dir, "search.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }
}
