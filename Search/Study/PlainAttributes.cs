using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// What a Python reader of the study needs besides its trials, as plain study user attributes (<c>study.user_attrs</c>):
/// the fixed hyperparameters, the objective, and the configuration the study chose. They were only in the system
/// attribute <c>mnist_search:settings</c> (a JSON string holding the raw search.json text, read through an API Optuna
/// deprecates since 3.1) or nowhere: with <c>selection</c>, Optuna's <c>best_trial</c> is a lucky repeat, and the chosen
/// configuration and its mean could only be had by re-implementing <see cref="BestTrial"/> (audit-analysis 7, 8).
/// Each is written only when it differs from what is stored, so processes that agree write nothing.
/// <para>The names are unprefixed, for Python readers, and so are this tool's alone: a study another Optuna client made
/// and this tool takes over has user attributes of those names overwritten (README says so). Leaving a value this tool
/// did not write alone would need a record of which it wrote, which no study made before one existed has: every such study
/// would then keep a stale <c>chosen</c> for ever, a worse fault than the documented overwrite (review 1207b, 8).</para>
/// </summary>
public static class PlainAttributes
{
    /// <summary>Writes <see cref="StudyAttributes.Fixed"/> and <see cref="StudyAttributes.Objective"/> from <paramref name="settings"/>.</summary>
    public static async Task WriteTermsAsync(IStudyStorage storage, int studyId, StudySettings settings, CancellationToken ct = default)
    {
        var stored = await storage.GetStudyUserAttributesAsync(studyId, ct);
        var fixedValues = new JsonObject(settings.Fixed.Select(kv => KeyValuePair.Create(kv.Key, JsonSerializer.SerializeToNode(kv.Value))));
        var objective = new JsonObject { ["metric"] = settings.Metric, ["direction"] = settings.Direction.ToString().ToLowerInvariant() };
        await SetIfChangedAsync(storage, studyId, stored, StudyAttributes.Fixed, fixedValues, ct);
        await SetIfChangedAsync(storage, studyId, stored, StudyAttributes.Objective, objective, ct);
    }

    /// <summary>
    /// Writes <see cref="StudyAttributes.Chosen"/>, as <see cref="Chosen"/> made it: <c>{"trial": N, "value": V,
    /// "evaluations": [N, ...]}</c>, the trial <see cref="BestTrial.Choose"/> picks, the value it is chosen by (the mean of
    /// its evaluations under <c>selection</c>) and the numbers of the COMPLETE trials that value is of.
    /// </summary>
    public static async Task WriteChosenAsync(IStudyStorage storage, int studyId, JsonObject chosen, CancellationToken ct = default) =>
        await SetIfChangedAsync(storage, studyId, await storage.GetStudyUserAttributesAsync(studyId, ct), StudyAttributes.Chosen, chosen, ct);

    /// <summary>The <see cref="StudyAttributes.Chosen"/> value for <paramref name="trials"/>, null while none competes.</summary>
    public static JsonObject? Chosen(IReadOnlyList<TrialSnapshot> trials, StudyDirection direction)
    {
        if (BestTrial.Choose(trials, direction) is not { } choice) return null;
        var number = choice.Trial.Number;
        var evaluations = choice.Evaluations == 1
            ? [number]
            : trials.Where(t => BestTrial.Competes(t) && (t.Number == number || BestTrial.RepeatOf(t) == number)).Select(t => t.Number).Order().ToArray();
        return new JsonObject
        {
            ["trial"] = number,
            ["value"] = choice.Value,
            ["evaluations"] = new JsonArray(evaluations.Select(n => (JsonNode)n).ToArray()),
        };
    }

    private static async Task SetIfChangedAsync(IStudyStorage storage, int studyId, IReadOnlyDictionary<string, string> stored, string key, JsonNode value, CancellationToken ct)
    {
        if (stored.TryGetValue(key, out var json) && JsonNode.DeepEquals(Parse(json), value)) return;
        await storage.SetStudyUserAttrAsync(studyId, key, value, ct);
    }

    private static JsonNode? Parse(string json)
    {
        try { return JsonNode.Parse(json); }
        catch (JsonException) { return null; }
    }
}
