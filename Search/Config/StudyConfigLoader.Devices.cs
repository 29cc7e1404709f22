using System.Text.Json;
using Mnist.Protocol.Specs;

namespace Mnist.Search.Config;

/// <summary>The GPU packing form of <c>devices</c>: <c>{"gpus": "auto" | [0, 1], "trials_per_gpu": N | "auto", ...}</c>.</summary>
internal static partial class StudyConfigLoader
{
    private static readonly string[] GpuPackingKeys = ["gpus", "trials_per_gpu", "trial_memory_mb", "threads_per_slot"];

    /// <summary>An object naming any GPU key is the packing form; anything else is the CPU form.</summary>
    private static bool IsGpuPackingForm(JsonElement element) =>
        element.EnumerateObject().Any(p => p.Name is "gpus" or "trials_per_gpu" or "trial_memory_mb");

    private static DevicesConfig ReadGpuPacking(ConfigReader reader, JsonElement element)
    {
        const string path = "$.devices";
        var d = reader.Object(element, path, GpuPackingKeys);
        var packing = new GpuPacking(ReadTrialsPerGpu(reader, d),
            d.Int("trial_memory_mb", GpuPacking.DefaultTrialMemoryMiB, 64, 1 << 20));
        var threads = d.OptionalInt("threads_per_slot", 1, TrialSpec.MaxThreads);
        if (!d.TryGet("gpus", out var gpus) || gpus is { ValueKind: JsonValueKind.String } && gpus.GetString() == "auto")
            return new DevicesConfig(DevicesMode.Auto, [], ThreadsPerSlot: threads, Packing: packing);
        if (gpus.ValueKind != JsonValueKind.Array)
            throw reader.Error($"{path}.gpus", "expected \"auto\" or a list of GPU indices such as [0, 1]", gpus);
        var ids = new List<string>();
        var index = 0;
        foreach (var item in gpus.EnumerateArray())
        {
            var itemPath = $"{path}.gpus[{index++}]";
            var id = $"cuda:{reader.Int(item, itemPath, 0, 1023)}";
            if (ids.Contains(id))
                throw reader.Error(itemPath, "GPU listed twice", item);
            ids.Add(id);
        }
        if (ids.Count == 0)
            throw reader.Error($"{path}.gpus", "must list at least one GPU", gpus);
        return new DevicesConfig(DevicesMode.List, ids, ThreadsPerSlot: threads, Packing: packing);
    }

    /// <summary>A number of trials per GPU, or null for "auto".</summary>
    private static int? ReadTrialsPerGpu(ConfigReader reader, ConfigObject d)
    {
        if (!d.TryGet("trials_per_gpu", out var value)) return 1;
        var path = d.PathOf("trials_per_gpu");
        if (value.ValueKind == JsonValueKind.String)
        {
            reader.OneOf(value, path, "auto");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number)
            throw reader.Error(path, $"expected \"auto\" or an integer between 1 and {GpuPacking.MaxTrialsPerGpu}", value);
        return reader.Int(value, path, 1, GpuPacking.MaxTrialsPerGpu);
    }
}
