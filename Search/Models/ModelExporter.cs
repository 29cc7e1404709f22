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

    /// <param name="relocate">Finds the study's model again (as <paramref name="model"/> was found): a retrain finishing
    /// meanwhile swaps <c>best/</c> by rename, and the export must be one model or none.</param>
    public static async Task<IReadOnlyList<string>> ExportAsync(StudyModel model, StudyInfo study, string outDir, string format, TrialsTool tool,
        Func<CancellationToken, Task<StudyModel>> relocate, CancellationToken ct)
    {
        if (Path.TrimEndingDirectorySeparator(Path.GetFullPath(model.Directory)) == Path.TrimEndingDirectorySeparator(outDir))
            throw new OutputFolderException($"--out {outDir}: is the model's own folder; give another one");

        // Staged beside --out and swapped in whole: readers see the earlier export or this one, and a folder holding
        // anything else (a trial's own folder, with its model.bin) is refused instead of overwritten.
        var staging = OutputFolder.Stage(outDir, "model export", ExportFiles);
        try
        {
            // The model's files are copied first, and only the copy is checked, read and exported. They were read
            // where they lay, one after another, while a finishing retrain may swap best/ by rename: an export once
            // paired trial 0's weights with the retrained model's sidecar and test metrics (exit 0).
            var source = Directory.CreateDirectory(Path.Combine(staging.Path, SourceFolder)).FullName;
            string[] files = [ArtifactNames.Sidecar, ArtifactNames.Weights, ArtifactNames.Metrics];
            foreach (var name in files.Where(n => File.Exists(Path.Combine(model.Directory, n))))
                File.Copy(Path.Combine(model.Directory, name), Path.Combine(source, name));

            // The checkpoint is loaded once in Trials (sidecar ranges, weight sizes, every tensor) before anything is
            // written: a truncated model.bin or a `{}` model.json used to be exported as if it were a model (issue 11).
            var check = await tool.RunAsync(["check", "--model", source], ct);
            if (check.ExitCode != 0 && model.WorkerCommand is { } worker)
                // Another program's model: Trials' complaint about its sidecar ("$.architecture.lr: unknown hyperparameter")
                // read as a fault of the user's file, when the file is simply not Trials' format.
                throw new ModelNotFoundException(
                    $"cannot export {model.Directory}: study '{study.Name}' was trained by its own worker program (worker.command: {worker}), and export and predict "
                    + $"serve only models of the built-in Trials worker; use that program's own export (Trials cannot load it: {check.FirstError.Replace(source, model.Directory, StringComparison.Ordinal)})");
            if (check.ExitCode != 0)
                throw Failure("cannot export", check, source, model.Directory);
            await RefuseIfChangedAsync(model, source, files, relocate, ct);

            var sidecar = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(source, ArtifactNames.Sidecar), ct))?.AsObject()
                ?? throw new ModelNotFoundException($"{Path.Combine(model.Directory, ArtifactNames.Sidecar)}: not a JSON object");
            // The test metrics of the copy, not of whatever the folder held when the model was first found.
            var metrics = model.Retrained ? StudyModel.ReadMetrics(source, Path.Combine(model.Directory, ArtifactNames.Metrics)) : model.Metrics;
            model = model with { Metrics = metrics };
            var weightsName = format switch { "safetensors" => ArtifactNames.Safetensors, "onnx" => ArtifactNames.Onnx, _ => ArtifactNames.Weights };
            sidecar["weights"] = weightsName;
            sidecar["format"] = format;
            // How images are shaped for it, decided by its dataset, for callers outside this tool (predict derives it the same way).
            sidecar["preprocessing"] = ImageRecipe.Of(Text(sidecar["preprocessing"]), Text(sidecar["dataset"]),
                sidecar["class_names"] is JsonArray names ? names.Select(n => Text(n) ?? "").ToList() : []).Name;
            sidecar["export"] = new JsonObject
            {
                ["study"] = study.Name,
                ["trial"] = model.TrialNumber,
                ["retrained"] = model.Retrained,
                ["note"] = model.Note,
                ["test_metrics"] = model.Metrics?.DeepClone(),
                ["exported_at"] = DateTime.UtcNow.ToString("o"),
            };

            if (format is "safetensors" or "onnx")
            {
                var staged = Path.Combine(staging.Path, weightsName);
                List<string> arguments = ["export", "--model", source, "--out", staged, "--format", format];
                if (format == "onnx")
                {
                    foreach (var (key, value) in OnnxProvenance(model, study)) arguments.AddRange(["--metadata", $"{key}={value}"]);
                }
                var output = await tool.RunAsync(arguments, ct);
                if (output.ExitCode != 0)
                    throw Failure("export failed", output, source, model.Directory);
                // Checked here too, before it replaces anything: a file ONNX Runtime could not use never lands.
                if (format == "onnx") OnnxModelFile.Read(staged);
            }
            else
            {
                File.Move(Path.Combine(source, ArtifactNames.Weights), Path.Combine(staging.Path, weightsName));
            }
            Directory.Delete(source, recursive: true);
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

    // Trials refusing the model (exit 2: a truncated model.bin, a sidecar out of range) is the user's input; any other
    // exit (an unhandled exception, an abort, a kill) is a failure of ours, with Trials' trace.
    private static Exception Failure(string what, TrialsTool.Output output, string source, string modelDirectory)
    {
        var reason = output.FirstError.Replace(source, modelDirectory, StringComparison.Ordinal);
        return output.ExitCode == WorkerExitCodes.BadInput
            ? new ModelNotFoundException($"{what}: {reason}")
            : new TrialsToolException($"{what}: Trials exited with code {output.ExitCode}: {reason}", output.Stderr.Replace(source, modelDirectory, StringComparison.Ordinal));
    }

    // Inside the staging folder, removed before it is promoted.
    private const string SourceFolder = ".model";

    // The copy is one model, and the study's: the model found again is the same (folder, trial, retrained), and the
    // folder still holds the copied files byte for byte. A swap before the copy leaves another trial number or other
    // bytes; one during or after it, other bytes.
    private static async Task RefuseIfChangedAsync(StudyModel model, string source, string[] files, Func<CancellationToken, Task<StudyModel>> relocate, CancellationToken ct)
    {
        StudyModel again;
        try { again = await relocate(ct); }
        catch (ModelNotFoundException) { again = model with { Directory = "" }; }
        var same = again.Directory == model.Directory && again.TrialNumber == model.TrialNumber && again.Retrained == model.Retrained
            && files.All(n => SameFile(Path.Combine(source, n), Path.Combine(model.Directory, n)));
        if (!same)
            throw new IOException($"{model.Directory}: the model changed while it was being exported (a retrain finished?); nothing was written. Export again");
    }

    private static bool SameFile(string copy, string original)
    {
        try
        {
            if (File.Exists(copy) != File.Exists(original)) return false;
            return !File.Exists(copy) || File.ReadAllBytes(copy).AsSpan().SequenceEqual(File.ReadAllBytes(original));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone or replaced while being compared
        }
    }
}
