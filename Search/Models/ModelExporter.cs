using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Inference.Images;
using Mnist.Inference.Onnx;
using Mnist.Protocol.Outputs;
using Mnist.Search.Files;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Models;

/// <summary>
/// Exports a study's model with a sidecar that says everything needed to use it elsewhere: the architecture
/// and hyperparameters, normalisation and class names (from the checkpoint's own sidecar), plus the study,
/// the trial, whether it was retrained, and its test metrics. <c>torchsharp</c> copies the checkpoint;
/// <c>safetensors</c> converts it (in the Trials program) to PyTorch-style names and raw little-endian tensors;
/// <c>onnx</c> has the Trials program write the ONNX graph (<c>model.onnx</c>) with the study, trial and test
/// accuracy in its metadata, then checks the written file here before moving it into place.
/// </summary>
internal static class ModelExporter
{
    public static readonly string[] Formats = ["torchsharp", "safetensors", "onnx"];

    /// <summary>What an export folder holds (one weights file, by format, and the sidecar); a folder with anything else is not an export.</summary>
    public static readonly IReadOnlySet<string> ExportFiles = new HashSet<string>(StringComparer.Ordinal)
        { ArtifactNames.Weights, ArtifactNames.Safetensors, ArtifactNames.Onnx, ArtifactNames.Sidecar };

    /// <summary>What the ONNX model's metadata says about its origin, beside what the checkpoint's sidecar says.</summary>
    private static IEnumerable<(string Key, string Value)> OnnxProvenance(StudyModel model, StudyInfo study)
    {
        yield return ("study", study.Name);
        yield return ("trial", model.TrialNumber.ToString(CultureInfo.InvariantCulture));
        yield return ("retrained", model.Retrained ? "true" : "false");
        // A metrics file someone edited ("0.98" as text) leaves the accuracy out rather than failing the export.
        if (model.Metrics?["accuracy"] is JsonValue accuracy && accuracy.TryGetValue<double>(out var value))
            yield return ("test_accuracy", value.ToString("R", CultureInfo.InvariantCulture));
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static async Task<IReadOnlyList<string>> ExportAsync(StudyModel model, StudyInfo study, string outDir, string format, TrialsTool tool, CancellationToken ct)
    {
        // The checkpoint is loaded once in Trials (sidecar ranges, weight sizes, every tensor) before anything is
        // written: a truncated model.bin or a `{}` model.json used to be exported as if it were a model (issue 11).
        if (Path.TrimEndingDirectorySeparator(Path.GetFullPath(model.Directory)) == Path.TrimEndingDirectorySeparator(outDir))
            throw new OutputFolderException($"--out {outDir}: is the model's own folder; give another one");
        var check = await tool.RunAsync(["check", "--model", model.Directory], ct);
        if (check.ExitCode != 0)
            throw new ModelNotFoundException($"cannot export: {check.FirstError}");
        var sidecar = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(model.Directory, ArtifactNames.Sidecar), ct))?.AsObject()
            ?? throw new ModelNotFoundException($"{Path.Combine(model.Directory, ArtifactNames.Sidecar)}: not a JSON object");
        var weightsName = format switch { "safetensors" => ArtifactNames.Safetensors, "onnx" => ArtifactNames.Onnx, _ => ArtifactNames.Weights };
        sidecar["weights"] = weightsName;
        // How images are shaped for it, decided by its dataset, for callers outside this tool (predict derives it the same way).
        sidecar["preprocessing"] = ImageRecipe.Of(Text(sidecar["preprocessing"]), Text(sidecar["dataset"]),
            sidecar["class_names"] is JsonArray names ? names.Select(n => Text(n) ?? "").ToList() : []).Name;
        sidecar["format"] = format;
        sidecar["export"] = new JsonObject
        {
            ["study"] = study.Name,
            ["trial"] = model.TrialNumber,
            ["retrained"] = model.Retrained,
            ["note"] = model.Note,
            ["test_metrics"] = model.Metrics?.DeepClone(),
            ["exported_at"] = DateTime.UtcNow.ToString("o"),
        };

        // Staged beside --out and swapped in whole: readers see the earlier export or this one, and a folder holding
        // anything else (a trial's own folder, with its model.bin) is refused instead of overwritten.
        var staging = OutputFolder.Stage(outDir, "model export", ExportFiles);
        try
        {
            if (format is "safetensors" or "onnx")
            {
                var staged = Path.Combine(staging.Path, weightsName);
                List<string> arguments = ["export", "--model", model.Directory, "--out", staged, "--format", format];
                if (format == "onnx")
                {
                    foreach (var (key, value) in OnnxProvenance(model, study)) arguments.AddRange(["--metadata", $"{key}={value}"]);
                }
                var output = await tool.RunAsync(arguments, ct);
                if (output.ExitCode != 0)
                    throw new ModelNotFoundException($"export failed: {output.FirstError}");
                // Checked here too, before it replaces anything: a file ONNX Runtime could not use never lands.
                if (format == "onnx") OnnxModelFile.Read(staged);
            }
            else
            {
                File.Copy(Path.Combine(model.Directory, ArtifactNames.Weights), Path.Combine(staging.Path, weightsName));
            }
            await File.WriteAllTextAsync(Path.Combine(staging.Path, ArtifactNames.Sidecar), sidecar.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            OutputFolder.Promote(staging, outDir);
            return [Path.Combine(outDir, weightsName), Path.Combine(outDir, ArtifactNames.Sidecar)];
        }
        catch
        {
            OutputFolder.Discard(staging);
            throw;
        }
    }
}
