using System.Text.Json.Nodes;

namespace Mnist.Search.Tests.Support.Config;

/// <summary>search.json texts for tests: the issue's example, and small patches of it.</summary>
public static class ConfigJson
{
    /// <summary>The example from the issue, verbatim.</summary>
    public const string IssueExample = """
        {
          "study": "mnist-cnn",
          "dataset": { "name": "mnist", "dir": "data/mnist", "validation": 5000, "train_subset": 10000 },
          "objective": { "metric": "val_accuracy", "direction": "maximize" },
          "space": {
            "conv1_channels": { "type": "int", "low": 8, "high": 64, "log": true },
            "conv2_channels": { "type": "int", "low": 16, "high": 128, "log": true },
            "fc_width": { "type": "int", "low": 32, "high": 512, "log": true },
            "dropout": { "type": "float", "low": 0.0, "high": 0.5 },
            "learning_rate": { "type": "float", "low": 0.0001, "high": 0.01, "log": true },
            "batch_size": { "type": "categorical", "choices": [64, 128, 256] },
            "rotation_degrees": { "type": "float", "low": 0, "high": 20 },
            "translate_fraction": { "type": "float", "low": 0, "high": 0.2 }
          },
          "fixed": { "optimizer": "adam", "batch_norm": true },
          "budget": { "trials": 12, "epochs": 2, "max_concurrent": 1, "timeout_minutes": 30, "trial_timeout_minutes": 10 },
          "sampler": { "kind": "gp", "startup_trials": 4, "seed": 42 },
          "pruner": { "kind": "none" },
          "devices": "auto",
          "retrain": { "enabled": true, "epochs": 5 },
          "storage": "sqlite:studies/mnist-cnn/study.db"
        }
        """;

    /// <summary>
    /// The example with one change: <paramref name="dottedPath"/> (e.g. <c>space.fc_width.low</c>) set to the
    /// JSON <paramref name="rawValue"/>, or removed when it is null.
    /// </summary>
    public static string Patch(string dottedPath, string? rawValue, string baseJson = IssueExample)
    {
        var root = JsonNode.Parse(baseJson)!.AsObject();
        var keys = dottedPath.Split('.');
        var parent = root;
        foreach (var key in keys[..^1])
            parent = parent[key]!.AsObject();
        if (rawValue is null)
            parent.Remove(keys[^1]);
        else
            parent[keys[^1]] = JsonNode.Parse(rawValue);
        return root.ToJsonString();
    }
}
