using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Outputs;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Models;

/// <summary>
/// Exports a study's model with a sidecar that says everything needed to use it elsewhere: the architecture
/// and hyperparameters, normalisation and class names (from the checkpoint's own sidecar), plus the study,
/// the trial, whether it was retrained, and its test metrics. <c>torchsharp</c> copies the checkpoint;
/// <c>safetensors</c> converts it (in the Trials program) to PyTorch-style names and raw little-endian tensors.
/// </summary>
internal static class ModelExporter
{
    public static readonly string[] Formats = ["torchsharp", "safetensors"];

    public static async Task<IReadOnlyList<string>> ExportAsync(StudyModel model, StudyInfo study, string outDir, string format, TrialsTool tool, CancellationToken ct)
    {
        var sidecar = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(model.Directory, ArtifactNames.Sidecar), ct))?.AsObject()
            ?? throw new ModelNotFoundException($"{Path.Combine(model.Directory, ArtifactNames.Sidecar)}: not a JSON object");
        var weightsName = format == "safetensors" ? ArtifactNames.Safetensors : ArtifactNames.Weights;
        sidecar["weights"] = weightsName;
        sidecar["format"] = format;
        sidecar["export"] = new JsonObject
        {
            ["study"] = study.Name,
            ["trial"] = model.TrialNumber,
            ["retrained"] = model.Retrained,
            ["note"] = model.Retrained ? null : "not retrained: the best trial's checkpoint, trained on the search subset only",
            ["test_metrics"] = model.Metrics?.DeepClone(),
            ["exported_at"] = DateTime.UtcNow.ToString("o"),
        };

        // Stage everything, then move each file into place: a reader never sees a half-written file.
        Directory.CreateDirectory(outDir);
        var staging = Path.Combine(outDir, $".export-{Environment.ProcessId}");
        Directory.CreateDirectory(staging);
        try
        {
            if (format == "safetensors")
            {
                var output = await tool.RunAsync(["export", "--model", model.Directory, "--out", Path.Combine(staging, weightsName)], ct);
                if (output.ExitCode != 0)
                    throw new ModelNotFoundException($"export failed: {output.FirstError}");
            }
            else
            {
                File.Copy(Path.Combine(model.Directory, ArtifactNames.Weights), Path.Combine(staging, weightsName));
            }
            await File.WriteAllTextAsync(Path.Combine(staging, ArtifactNames.Sidecar), sidecar.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            var written = new List<string>();
            foreach (var name in new[] { weightsName, ArtifactNames.Sidecar })
            {
                var target = Path.Combine(outDir, name);
                File.Move(Path.Combine(staging, name), target, overwrite: true);
                written.Add(target);
            }
            return written;
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }
}
