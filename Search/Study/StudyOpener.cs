using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// Creates a study, or reopens one to resume it: the stored search space and direction must match the
/// configuration, or resuming would mix incomparable trials.
/// </summary>
public static class StudyOpener
{
    /// <summary>
    /// Returns the study, created when new (with the space and the configuration text stored as system
    /// attributes, so <c>study worker</c> processes elsewhere can join it). Throws
    /// <see cref="StudyConflictException"/> when an existing study has another space or direction.
    /// </summary>
    public static async Task<(StudyInfo Study, bool Created)> OpenAsync(IStudyStorage storage, StudySettings settings, string configJson, CancellationToken ct = default)
    {
        // The space, the configuration and the folder id are written with the study: written one by one, a crash in
        // between left a study that workers could not join (no stored configuration) and that no check could repair.
        var (study, created) = await storage.CreateStudyAsync(settings.Name, settings.Direction, new Dictionary<string, object?>
        {
            [StudyAttributes.SearchSpace] = SpaceToJson(settings.Space),
            [StudyAttributes.Settings] = configJson,
            [StudyAttributes.FolderId] = StudyFolder.NewId(),
            [StudyAttributes.BudgetTrials] = settings.Trials,
        }, ct);
        if (created) return (study, true);
        // Its first direction alone was compared: a study Optuna made with two objectives was taken over and given trials
        // of one value, which Optuna's best_trials then could not read, and which every command of this tool refuses.
        if (study.Objectives > 1)
            throw new StudyConflictException(
                $"study '{settings.Name}' exists with {study.Objectives} objectives (an Optuna multi-objective study); this tool searches one: use another study name");
        // Named as every other configuration error is (file, JSON path, value, what is allowed): it named neither.
        if (study.Direction != settings.Direction)
            throw new StudyConflictException(
                $"{SourceOf(configJson)}: $.objective.direction: \"{settings.Direction.ToString().ToLowerInvariant()}\", but study '{settings.Name}' exists with " +
                $"direction {study.Direction}: use \"{study.Direction.ToString().ToLowerInvariant()}\", or another study name");
        var attrs = await storage.GetStudySystemAttributesAsync(study.Id, ct);
        if (attrs.TryGetValue(StudyAttributes.SearchSpace, out var storedJson))
        {
            var stored = SpaceFromJson(storedJson);
            if (!stored.Equals(settings.Space))
                throw new StudyConflictException($"study '{settings.Name}' exists with a different search space ({Describe(stored, settings.Space)}); use the original configuration, or another study name (to carry its best configurations over: `study create` the new one, `study enqueue NEW --from-study {settings.Name} --top N`, then `study start`)");
        }
        return (study, false);
    }

    // The configuration file the stored source (StudyRun.StoredSource: {"source_path", "text"}) was read from.
    private static string SourceOf(string configJson)
    {
        try { return (string?)JsonNode.Parse(configJson)?["source_path"] ?? "the configuration"; }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return "the configuration"; }
    }

    /// <summary>The configuration text stored with the study, if any.</summary>
    public static async Task<string?> StoredConfigAsync(IStudyStorage storage, StudyInfo study, CancellationToken ct = default)
    {
        var attrs = await storage.GetStudySystemAttributesAsync(study.Id, ct);
        return attrs.TryGetValue(StudyAttributes.Settings, out var json) ? JsonNode.Parse(json)?.GetValue<string>() : null;
    }

    public static JsonArray SpaceToJson(SearchSpace space) =>
        new(space.Parameters.Select(p => (JsonNode)new JsonObject { ["name"] = p.Key, ["distribution"] = p.Value.ToOptunaJson() }).ToArray());

    public static SearchSpace SpaceFromJson(string json) =>
        new(JsonNode.Parse(json)!.AsArray()
            .Select(n => new KeyValuePair<string, ParameterDistribution>((string)n!["name"]!, ParameterDistribution.FromOptunaJson(n["distribution"]!.ToJsonString())))
            .ToList());

    private static string Describe(SearchSpace stored, SearchSpace wanted)
    {
        foreach (var (name, dist) in wanted.Parameters)
        {
            var old = stored.Parameters.FirstOrDefault(p => p.Key == name).Value;
            if (old is null) return $"'{name}' is new";
            if (!old.Equals(dist)) return $"'{name}' was {old.ToOptunaJson().ToJsonString()}, now {dist.ToOptunaJson().ToJsonString()}";
        }
        var removed = stored.Names.Except(wanted.Names).FirstOrDefault();
        return removed is not null ? $"'{removed}' was removed" : "parameter order changed";
    }
}

/// <summary>The configuration contradicts the stored study; the CLI reports it with exit code 2.</summary>
public sealed class StudyConflictException(string message) : Exception(message);
