using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>
/// Reads the configuration stored with a study (<c>{"source_path", "text"}</c>, written by <c>study start</c>):
/// relative paths in it resolve against the original file's folder when <paramref name="sourceOnThisMachine"/> and that
/// folder exists here, else against the current folder (a worker on another machine: its own data and studies).
/// </summary>
internal static class StoredConfig
{
    /// <summary>
    /// The configuration stored with <paramref name="study"/>, parsed; null when it has none. A damaged attribute (a hand
    /// edit, another tool) is bad input naming the study, its storage and the attribute: it ended in a .NET message
    /// and a stack trace.
    /// </summary>
    public static async Task<(StudyConfig Config, string Text)?> ReadAsync(
        IStudyStorage storage, StudyInfo study, string storageDisplay, bool sourceOnThisMachine, CancellationToken ct)
    {
        var attrs = await storage.GetStudySystemAttributesAsync(study.Id, ct);
        if (!attrs.TryGetValue(StudyAttributes.Settings, out var json)) return null;
        if (Damage(json) is { } damage)
            throw new UserInputException(
                $"study '{study.Name}' in {storageDisplay}: its stored configuration (study system attribute {StudyAttributes.Settings}) " +
                $"is {damage}; it must be a JSON string holding an object with a \"text\" string, as `study create` writes it");
        return Parse(JsonNode.Parse(json)!.GetValue<string>(), sourceOnThisMachine);
    }

    /// <summary>
    /// The refusal of a command that needs the stored configuration, for a study without one (another Optuna client made
    /// it): one wording for every such command, saying how to give it one. It said only that `study start` had not made it.
    /// </summary>
    public static UserInputException Missing(string study, string storageDisplay) =>
        new($"study '{study}' in {storageDisplay} has no stored configuration (another Optuna client made it): `study create CONFIG " +
            $"--storage URL` with a configuration of that name takes it over when its trials searched that space, then run this again");

    // What is wrong with the attribute's JSON, or null when Parse can read it.
    private static string? Damage(string json)
    {
        JsonNode? value;
        try { value = JsonNode.Parse(json); }
        catch (JsonException e) { return $"not JSON ({e.Message})"; }
        if (value is not JsonValue v || !v.TryGetValue<string>(out var text))
            return $"a JSON {(value is null ? "null" : value.GetValueKind().ToString().ToLowerInvariant())}, not a string";
        JsonNode? source;
        try { source = JsonNode.Parse(text); }
        catch (JsonException e) { return $"a string that is not JSON ({e.Message})"; }
        if (source is not JsonObject o || o["text"] is not JsonValue t || !t.TryGetValue<string>(out _))
            return "a JSON string without an object with a \"text\" string in it";
        if (o["source_path"] is { } p && (p is not JsonValue pv || !pv.TryGetValue<string>(out _)))
            return "an object whose \"source_path\" is not a string";
        return null;
    }

    /// <summary>
    /// <paramref name="config"/> and its text under the study's name in its storage, <paramref name="name"/>: unchanged
    /// when the text names it already. A study copied with <c>optuna.copy_study(to_study_name=NEW)</c> keeps the original's
    /// configuration, whose <c>study</c> names the original; the run then worked on that one (in the copy's storage it
    /// does not exist) and was refused with advice to rename what had been renamed (audit-analysis 1). The rename is stored
    /// back by <see cref="ResumedConfig.ReconcileAsync"/> into the stored attribute itself (its <c>source_path</c> kept).
    /// </summary>
    public static (StudyConfig Config, string Text) Named(StudyConfig config, string text, string name) =>
        config.Study == name ? (config, text) : (config with { Study = name }, Renamed(text, name));

    /// <summary>
    /// <paramref name="text"/> with its <c>study</c> set to <paramref name="name"/> and nothing else changed: what
    /// <see cref="Named"/> runs, so that <see cref="ResumedConfig"/> can tell a rename alone from a change.
    /// </summary>
    public static string Renamed(string text, string name)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var root = JsonNode.Parse(text, documentOptions: options)!.AsObject();
        root["study"] = name;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static (StudyConfig Config, string Text) Parse(string stored, bool sourceOnThisMachine = true)
    {
        var source = JsonNode.Parse(stored)!;
        var text = (string)source["text"]!;
        var path = sourceOnThisMachine && (string?)source["source_path"] is { } p && Directory.Exists(Path.GetDirectoryName(p))
            ? p
            : Path.Combine(Directory.GetCurrentDirectory(), "search.json");
        return (StudyConfigLoader.Parse(text, path, stored: true), text);
    }
}
