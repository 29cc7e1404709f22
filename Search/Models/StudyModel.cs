using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Inference.Onnx;
using Mnist.Protocol.Outputs;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Models;

/// <summary>
/// The model a study stands for: the retrained one in <c>best/</c> when there is one, else the best trial's
/// own checkpoint (trained on the search subset only — flagged <see cref="Retrained"/> false).
/// </summary>
internal sealed record StudyModel(string Directory, bool Retrained, int TrialNumber, JsonObject? Metrics)
{
    public static async Task<StudyModel> FindAsync(IStudyStorage storage, StudyInfo study, string studyDirectory, CancellationToken ct)
    {
        var attrs = await storage.GetStudyUserAttributesAsync(study.Id, ct);
        var retrainedDir = attrs.TryGetValue(StudyAttributes.RetrainDirectory, out var d) ? JsonSerializer.Deserialize<string>(d) : Path.Combine(studyDirectory, "best");
        if (retrainedDir is not null && IsModel(retrainedDir))
        {
            var trial = attrs.TryGetValue(StudyAttributes.RetrainTrial, out var t) && int.TryParse(t, out var n) ? n : -1;
            var metricsPath = Path.Combine(retrainedDir, ArtifactNames.Metrics);
            var metrics = File.Exists(metricsPath) ? JsonNode.Parse(File.ReadAllText(metricsPath))?.AsObject() : null;
            return new StudyModel(retrainedDir, true, trial, metrics);
        }

        var best = BestTrial.Of(await storage.GetAllTrialsAsync(study.Id, ct: ct), study.Direction)
            ?? throw new ModelNotFoundException($"study '{study.Name}' has no retrained model and no COMPLETE trial");
        var checkpoint = best.UserAttrs.TryGetValue(StudyAttributes.Checkpoint, out var c) ? JsonSerializer.Deserialize<string>(c) : null;
        var dir = checkpoint is null ? null : Path.GetDirectoryName(checkpoint);
        if (dir is null || !IsModel(dir))
            throw new ModelNotFoundException($"study '{study.Name}': the best trial ({best.Number}) has no checkpoint on this machine ({checkpoint ?? "none recorded"})");
        return new StudyModel(dir, false, best.Number, null);
    }

    /// <summary>One trial's own checkpoint (trained on the search subset; no test metrics).</summary>
    public static async Task<StudyModel> ForTrialAsync(IStudyStorage storage, StudyInfo study, int number, CancellationToken ct)
    {
        var trial = (await storage.GetAllTrialsAsync(study.Id, ct: ct)).FirstOrDefault(t => t.Number == number)
            ?? throw new ModelNotFoundException($"--trial {number}: study '{study.Name}' has no trial {number}");
        var checkpoint = trial.UserAttrs.TryGetValue(StudyAttributes.Checkpoint, out var c) ? JsonSerializer.Deserialize<string>(c) : null;
        var dir = checkpoint is null ? null : Path.GetDirectoryName(checkpoint);
        if (dir is null || !IsModel(dir))
            throw new ModelNotFoundException($"--trial {number}: trial {number} of study '{study.Name}' ({trial.State}) has no checkpoint on this machine ({checkpoint ?? "none recorded"})");
        return new StudyModel(dir, false, number, null);
    }

    /// <summary>A model folder holds the checkpoint and its sidecar.</summary>
    public static bool IsModel(string dir) =>
        File.Exists(Path.Combine(dir, ArtifactNames.Weights)) && File.Exists(Path.Combine(dir, ArtifactNames.Sidecar));

    /// <summary>A folder <c>predict</c> can use: an exported ONNX model, or a checkpoint.</summary>
    public static bool IsPredictable(string dir) => File.Exists(Path.Combine(dir, ArtifactNames.Onnx)) || IsModel(dir);
}

/// <summary>No model to export or predict with; the message says why (exit code 2).</summary>
internal sealed class ModelNotFoundException(string message) : Exception(message);
