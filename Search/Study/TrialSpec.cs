using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>Builds the worker's spec file (docs/worker-protocol.md) for a trial or a retrain.</summary>
public static class TrialSpec
{
    /// <summary>
    /// The resolved hyperparameters: fixed values, overlaid by the trial's sampled parameters (external values).
    /// </summary>
    public static JsonObject Hyperparameters(IReadOnlyDictionary<string, object?> fixedValues, TrialSnapshot trial)
    {
        var h = new JsonObject();
        foreach (var (k, v) in fixedValues) h[k] = ToNode(v);
        foreach (var name in trial.Params.Keys) h[name] = ToNode(trial.ExternalParam(name));
        return h;
    }

    public static JsonObject Build(
        StudySettings settings, JsonObject hyperparameters, int epochs, int seed, string device, int threads,
        string outDir, bool fullTrain = false, bool evaluateTest = false) => new()
    {
        ["hyperparameters"] = hyperparameters,
        ["epochs"] = epochs,
        ["seed"] = seed,
        // Every trial holds out the same validation images, so their values compare like for like.
        ["split_seed"] = settings.Seed,
        ["dataset"] = settings.Data.Dataset,
        ["data_dir"] = settings.Data.Directory,
        ["device"] = device,
        ["threads"] = threads,
        ["out_dir"] = outDir,
        ["train_subset"] = fullTrain ? null : settings.Data.TrainSubset,
        ["validation"] = settings.Data.Validation,
        ["full_train"] = fullTrain,
        ["evaluate_test"] = evaluateTest,
    };

    /// <summary>Writes the spec to <paramref name="path"/> atomically and returns the path.</summary>
    public static string Write(JsonObject spec, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    private static JsonNode? ToNode(object? v) => v switch
    {
        null => null,
        JsonNode n => n.DeepClone(),
        JsonElement e => JsonNode.Parse(e.GetRawText()),
        _ => DistributionJson.ToNode(v),
    };
}
