using System.Text.Json;
using TorchSharp;
using Mnist.Protocol.Outputs;
using Mnist.Protocol.Files;

namespace Mnist.Trials.Model;

/// <summary>
/// Saves and loads a checkpoint folder: <c>model.bin</c> (TorchSharp <c>Module.save</c> state dict)
/// and <c>model.json</c> (<see cref="ModelSidecar"/>). Both are written to temporary names first and
/// renamed, weights before sidecar, so a reader never sees half a file.
/// </summary>
internal static class CheckpointIO
{
    public const string WeightsFileName = ArtifactNames.Weights;
    public const string SidecarFileName = ArtifactNames.Sidecar;

    private const long MaxSidecarBytes = 1 << 20;

    /// <summary>What <c>model.bin</c> holds besides the raw tensors (names, shapes, type tags), at most.</summary>
    private const long MaxWeightsOverhead = 1 << 20;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Writes the checkpoint into <paramref name="dir"/> (created if needed); returns the absolute path of <c>model.bin</c>.</summary>
    public static string Save(string dir, CnnModel model, ModelSidecar sidecar)
    {
        Directory.CreateDirectory(dir);
        string weights = Path.GetFullPath(Path.Combine(dir, WeightsFileName));
        string json = Path.GetFullPath(Path.Combine(dir, SidecarFileName));
        string weightsTmp = ArtifactNames.Partial(weights);
        string jsonTmp = ArtifactNames.Partial(json);
        using var writing = PartialFiles.Writing(weightsTmp, jsonTmp);
        try
        {
            model.save(weightsTmp);
            File.WriteAllText(jsonTmp, JsonSerializer.Serialize(sidecar, JsonOptions));
            // Both flushed before either is renamed; between the two renames the pair is this trial's new weights with
            // its previous sidecar, which describes the same architecture (a trial never changes it), so still loads.
            Durable.Flush(weightsTmp);
            Durable.Flush(jsonTmp);
            File.Move(weightsTmp, weights, overwrite: true);
            File.Move(jsonTmp, json, overwrite: true);
        }
        catch
        {
            // A full disk mid-write must not leave half a model.bin.tmp behind (issue 11); the previous
            // checkpoint, if any, is untouched.
            foreach (var tmp in new[] { weightsTmp, jsonTmp })
            {
                try { File.Delete(tmp); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            throw;
        }
        return weights;
    }

    /// <summary>Reads only the sidecar of the checkpoint in <paramref name="dir"/>.</summary>
    /// <exception cref="CheckpointException">The file is missing or not a valid sidecar.</exception>
    public static ModelSidecar ReadSidecar(string dir)
    {
        string json = Path.Combine(dir, SidecarFileName);
        if (!File.Exists(json))
            throw new CheckpointException($"{json}: checkpoint sidecar not found");
        // A sidecar is a few KB; a bigger file is not one (and is not read whole into memory), nor is a device or pipe.
        // Sized as RegularFile does, following a link: a link's own size is its target's name.
        if (RegularFile.Problem(json, long.MaxValue) is { } problem)
            throw new CheckpointException($"{json}: {problem}");
        if (RegularFile.Length(json) is var length && length > MaxSidecarBytes)
            throw new CheckpointException($"{json}: {length} bytes is too large for a checkpoint sidecar (at most {MaxSidecarBytes})");
        ModelSidecar? sidecar;
        string text;
        try
        {
            text = File.ReadAllText(json);
            if (MissingKeys(text) is { Count: > 0 } missing)
                throw new CheckpointException($"{json}: not a valid checkpoint sidecar: missing {string.Join(", ", missing)}");
            sidecar = JsonSerializer.Deserialize<ModelSidecar>(text, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new CheckpointException($"{json}: not a valid checkpoint sidecar ({ex.Message})", ex);
        }
        if (sidecar is null)
            throw new CheckpointException($"{json}: empty checkpoint sidecar");
        if (sidecar.FormatVersion != ModelSidecar.CurrentFormatVersion)
            throw new CheckpointException($"{json}: format_version {sidecar.FormatVersion} is not supported (expected {ModelSidecar.CurrentFormatVersion})");
        SidecarValidator.Validate(json, text, sidecar);
        return sidecar;
    }

    // The sidecar's required keys, by their JSON names. The serializer's own message for a missing one named a .NET
    // type ("JSON deserialization for type 'Mnist.Trials.Model.ModelSidecar' was missing required properties").
    private static readonly string[] RequiredKeys = typeof(ModelSidecar).GetProperties()
        .Where(p => p.IsDefined(typeof(System.Runtime.CompilerServices.RequiredMemberAttribute), inherit: false))
        .Select(p => ((System.Text.Json.Serialization.JsonPropertyNameAttribute)p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false).Single()).Name)
        .ToArray();

    /// <summary>The required keys a sidecar's top-level object lacks, as JSON paths; none when it is not an object (the serializer says what it is).</summary>
    private static List<string> MissingKeys(string text)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(text) is System.Text.Json.Nodes.JsonObject o
                ? RequiredKeys.Where(k => !o.ContainsKey(k)).Select(k => "$." + k).ToList()
                : [];
        }
        catch (JsonException) { return []; }
    }

    /// <summary>
    /// Rebuilds the network from the checkpoint folder alone, loads its weights and puts it in eval
    /// mode on the CPU. The caller owns (and disposes) the returned model.
    /// </summary>
    /// <exception cref="CheckpointException">A file is missing or does not match the architecture.</exception>
    /// <param name="inferenceBatchSizes">the batch sizes the caller runs the network at; none: it runs none (oneDNN stays off)</param>
    public static (CnnModel Model, ModelSidecar Sidecar) Load(string dir, IReadOnlyCollection<int>? inferenceBatchSizes = null)
    {
        var sidecar = ReadSidecar(dir);
        string weights = Path.Combine(dir, WeightsFileName);
        if (!File.Exists(weights))
            throw new CheckpointException($"{weights}: checkpoint weights not found");
        if (RegularFile.Problem(weights, long.MaxValue) is { } problem)
            throw new CheckpointException($"{weights}: {problem}");
        var model = new CnnModel(sidecar.Architecture, sidecar.ClassNames.Count, sidecar.InputShape[^1]);
        // Same CPU kernels as training, so a reloaded model predicts what the trial measured (oneDNN off until checked).
        Native.LibTorchFlags.ConfigureCpuKernels();
        try
        {
            // A truncated or foreign file is refused by its size before TorchSharp parses (and trusts) its lengths.
            var expected = model.state_dict().Values.Sum(t => t.numel() * t.ElementSize);
            // The target's size for a link: a linked model.bin was taken for 39 bytes, the length of its target's name.
            var actual = RegularFile.Length(weights);
            if (actual < expected || actual > expected + MaxWeightsOverhead)
                throw new CheckpointException($"{weights}: {actual} bytes, but the architecture in {SidecarFileName} needs {expected} bytes of weights (truncated, or not this model's checkpoint)");
            model.load(weights);
            // Bytes of the right length can still be NaN: such a model passed `check` and then made predict crash on its logits.
            using (torch.NewDisposeScope())
            foreach (var (name, tensor) in model.state_dict())
                if (tensor.is_floating_point() && !torch.isfinite(tensor).all().item<bool>())
                    throw new CheckpointException($"{weights}: tensor '{name}' holds NaN or infinite values (a diverged or corrupt model)");
        }
        catch (CheckpointException)
        {
            model.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // TorchSharp reports a corrupt stream with whatever the bytes happened to trigger; all of it means the same.
            model.Dispose();
            throw new CheckpointException($"{weights}: weights do not match the architecture in {SidecarFileName} ({ex.GetType().Name}: {ex.Message})", ex);
        }
        // oneDNN, when asked for, only once it computes this network right at the batch sizes the caller will run (see
        // OneDnnCheck); a caller that runs none (export, check) leaves it off without a verdict. Checked after the weights
        // are known good: a corrupt checkpoint is refused without paying for the check.
        if (inferenceBatchSizes is { Count: > 0 })
        {
            int side = sidecar.InputShape[^1];
            Native.OneDnnCheck.ConfigureCheckedCpuKernels(
                () => new CnnModel(sidecar.Architecture, sidecar.ClassNames.Count, side),
                [.. sidecar.InputShape.Select(d => (long)d)], sidecar.ClassNames.Count, trainingBatchSizes: [], inferenceBatchSizes: inferenceBatchSizes,
                notes: Console.Error);
        }
        model.eval();
        return (model, sidecar);
    }
}
