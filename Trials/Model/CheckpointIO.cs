using System.Text.Json;
using TorchSharp;
using Mnist.Protocol.Outputs;

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

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>Writes the checkpoint into <paramref name="dir"/> (created if needed); returns the absolute path of <c>model.bin</c>.</summary>
    public static string Save(string dir, CnnModel model, ModelSidecar sidecar)
    {
        Directory.CreateDirectory(dir);
        string weights = Path.GetFullPath(Path.Combine(dir, WeightsFileName));
        string json = Path.GetFullPath(Path.Combine(dir, SidecarFileName));
        string weightsTmp = weights + ".tmp";
        string jsonTmp = json + ".tmp";
        model.save(weightsTmp);
        File.WriteAllText(jsonTmp, JsonSerializer.Serialize(sidecar, JsonOptions));
        File.Move(weightsTmp, weights, overwrite: true);
        File.Move(jsonTmp, json, overwrite: true);
        return weights;
    }

    /// <summary>Reads only the sidecar of the checkpoint in <paramref name="dir"/>.</summary>
    /// <exception cref="CheckpointException">The file is missing or not a valid sidecar.</exception>
    public static ModelSidecar ReadSidecar(string dir)
    {
        string json = Path.Combine(dir, SidecarFileName);
        if (!File.Exists(json))
            throw new CheckpointException($"{json}: checkpoint sidecar not found");
        ModelSidecar? sidecar;
        try
        {
            sidecar = JsonSerializer.Deserialize<ModelSidecar>(File.ReadAllText(json), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new CheckpointException($"{json}: not a valid checkpoint sidecar ({ex.Message})", ex);
        }
        if (sidecar is null)
            throw new CheckpointException($"{json}: empty checkpoint sidecar");
        if (sidecar.FormatVersion != ModelSidecar.CurrentFormatVersion)
            throw new CheckpointException($"{json}: format_version {sidecar.FormatVersion} is not supported (expected {ModelSidecar.CurrentFormatVersion})");
        return sidecar;
    }

    /// <summary>
    /// Rebuilds the network from the checkpoint folder alone, loads its weights and puts it in eval
    /// mode on the CPU. The caller owns (and disposes) the returned model.
    /// </summary>
    /// <exception cref="CheckpointException">A file is missing or does not match the architecture.</exception>
    public static (CnnModel Model, ModelSidecar Sidecar) Load(string dir)
    {
        var sidecar = ReadSidecar(dir);
        string weights = Path.Combine(dir, WeightsFileName);
        if (!File.Exists(weights))
            throw new CheckpointException($"{weights}: checkpoint weights not found");
        var model = new CnnModel(sidecar.Architecture, sidecar.ClassNames.Count, sidecar.InputShape[^1]);
        // Same CPU kernels as training, so a reloaded model predicts exactly what the trial measured.
        Native.LibTorchFlags.ConfigureCpuKernels();
        try
        {
            model.load(weights);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or EndOfStreamException)
        {
            model.Dispose();
            throw new CheckpointException($"{weights}: weights do not match the architecture in {SidecarFileName} ({ex.Message})", ex);
        }
        model.eval();
        return (model, sidecar);
    }
}
