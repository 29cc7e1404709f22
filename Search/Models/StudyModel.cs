using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Inference.Onnx;
using Mnist.Protocol.Outputs;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Models;

/// <summary>
/// The model a study stands for: the retrained one in <c>best/</c> when there is one, else the best trial's
/// own checkpoint (trained on the search subset only — flagged <see cref="Retrained"/> false, and <see cref="Note"/> says
/// which checkpoint it is).
/// </summary>
/// <param name="WorkerCommand">The study's <c>worker.command</c> (another program than Trials trained it), or null.</param>
internal sealed record StudyModel(string Directory, bool Retrained, int TrialNumber, JsonObject? Metrics, string? Note = null, string? WorkerCommand = null)
{
    public static async Task<StudyModel> FindAsync(IStudyStorage storage, StudyInfo study, string studyDirectory, CancellationToken ct)
    {
        var attrs = await storage.GetStudyUserAttributesAsync(study.Id, ct);
        var recorded = attrs.TryGetValue(StudyAttributes.RetrainDirectory, out var d) ? JsonSerializer.Deserialize<string>(d) : null;
        if (await LocateAsync(storage, study, Path.Combine(studyDirectory, StudyFolder.BestFolder), recorded, ct) is { } retrainedDir)
        {
            var trial = attrs.TryGetValue(StudyAttributes.RetrainTrial, out var t) && int.TryParse(t, out var n) ? n : -1;
            return new StudyModel(retrainedDir, true, trial, ReadMetrics(retrainedDir), WorkerCommand: await WorkerCommandAsync(storage, study, ct));
        }

        var best = BestTrial.Of(await storage.GetAllTrialsAsync(study.Id, ct: ct), study.Direction)
            ?? throw new ModelNotFoundException($"study '{study.Name}' has no retrained model and no COMPLETE trial");
        try
        {
            return await ForTrialAsync(storage, study, best, studyDirectory, $"study '{study.Name}': the best trial ({best.Number})",
                "not retrained: the best trial's checkpoint, trained on the search subset only", ct);
        }
        // On a machine of a shared study that did not retrain it, the refusal named only the best trial's checkpoint: the
        // retrained model, which the storage says exists elsewhere, is the one to export.
        catch (ModelNotFoundException e) when (recorded is not null)
        {
            throw new ModelNotFoundException($"{e.Message}; its retrained model was written to {recorded}, not on this machine: run `study export` where it is");
        }
    }

    /// <summary>One trial's own checkpoint (trained on the search subset; no test metrics).</summary>
    public static async Task<StudyModel> ForTrialAsync(IStudyStorage storage, StudyInfo study, int number, string studyDirectory, CancellationToken ct)
    {
        var trial = (await storage.GetAllTrialsAsync(study.Id, ct: ct)).FirstOrDefault(t => t.Number == number)
            ?? throw new ModelNotFoundException($"--trial {number}: study '{study.Name}' has no trial {number}");
        return await ForTrialAsync(storage, study, trial, studyDirectory, $"--trial {number}: trial {number} of study '{study.Name}' ({trial.State})",
            $"not retrained: trial {number}'s own checkpoint, trained on the search subset only", ct);
    }

    private static async Task<StudyModel> ForTrialAsync(IStudyStorage storage, StudyInfo study, TrialSnapshot trial, string studyDirectory, string what,
        string note, CancellationToken ct)
    {
        var checkpoint = trial.UserAttrs.TryGetValue(StudyAttributes.Checkpoint, out var c) ? JsonSerializer.Deserialize<string>(c) : null;
        var recorded = checkpoint is null ? null : Path.GetDirectoryName(checkpoint);
        var local = recorded is null ? null : StudyFolder.TrialFolderIn(studyDirectory, recorded);
        var dir = await LocateAsync(storage, study, local, recorded, ct)
            ?? throw new ModelNotFoundException($"{what} has no checkpoint on this machine ({checkpoint ?? "none recorded"}"
                + (checkpoint is not null && OwnerAttributes.OwnerOf(trial)?.Host is { Length: > 0 } host ? $", written on {host}" : "") + ")");
        return new StudyModel(dir, false, trial.Number, null, note, await WorkerCommandAsync(storage, study, ct));
    }

    // The worker.command of the configuration stored with the study (its record of which program trains it; the latest
    // one, as a changed worker.command is stored), as words joined by spaces; null for the built-in Trials worker, for a
    // study another Optuna client made, and for a stored text this cannot read (the export then says what Trials says).
    // Read with every model found, used only once Trials cannot load the model: a worker.command that wraps Trials
    // still exports.
    private static async Task<string?> WorkerCommandAsync(IStudyStorage storage, StudyInfo study, CancellationToken ct)
    {
        try
        {
            if (await StudyOpener.StoredConfigAsync(storage, study, ct) is not { } stored
                || JsonNode.Parse(stored)?["text"] is not JsonValue text || !text.TryGetValue<string>(out var config))
                return null;
            var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
            return JsonNode.Parse(config, documentOptions: options)?["worker"]?["command"] is JsonArray command && command.Count > 0
                ? string.Join(' ', command.Select(w => w?.ToString() ?? ""))
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    // The study folder this command verified first: a copy of a study (an archive, another checkout, --studies-dir)
    // holds its models there, while the paths stored in the database still name the place it ran, which may since
    // hold another study of that name: export took that study's model (exit 0). A recorded path elsewhere (a shared
    // file system of several machines) is taken only when the study folder above it is this study's.
    private static async Task<string?> LocateAsync(IStudyStorage storage, StudyInfo study, string? local, string? recorded, CancellationToken ct)
    {
        if (local is not null && IsModel(local)) return local;
        if (recorded is null || !IsModel(recorded)) return null;
        var studyFolder = Path.GetFileName(Path.GetDirectoryName(recorded)) == StudyFolder.TrialsFolder
            ? Path.GetDirectoryName(Path.GetDirectoryName(recorded))
            : Path.GetDirectoryName(recorded);
        return studyFolder is not null && await StudyFolder.HoldsAsync(storage, study, studyFolder, ct) ? recorded : null;
    }

    private static JsonObject? ReadMetrics(string dir) => ReadMetrics(dir, Path.Combine(dir, ArtifactNames.Metrics));

    /// <summary>The test metrics in <paramref name="dir"/> (a copy of the model's folder); <paramref name="shownAs"/> names the file in errors.</summary>
    public static JsonObject? ReadMetrics(string dir, string shownAs)
    {
        var path = Path.Combine(dir, ArtifactNames.Metrics);
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new ModelNotFoundException($"{shownAs}: not valid metrics ({e.Message.Split('\n')[0]}); retrain the study (`study retrain`) to write it again"); }
    }

    /// <summary>A model folder holds the checkpoint and its sidecar.</summary>
    public static bool IsModel(string dir) =>
        File.Exists(Path.Combine(dir, ArtifactNames.Weights)) && File.Exists(Path.Combine(dir, ArtifactNames.Sidecar));

    /// <summary>A folder <c>predict</c> can use: an exported ONNX model, or a checkpoint.</summary>
    public static bool IsPredictable(string dir) => File.Exists(Path.Combine(dir, ArtifactNames.Onnx)) || IsModel(dir);
}

/// <summary>No model to export or predict with; the message says why (exit code 2).</summary>
internal sealed class ModelNotFoundException(string message) : Exception(message);
