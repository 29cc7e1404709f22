using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Hyperparameters;
using Mnist.Search.Space;

namespace Mnist.Search.Vocabulary;

/// <summary>
/// What every trial of a study trains with: its searched space and the values it holds fixed (every other known
/// hyperparameter at the worker's default). Read from the study's system attributes (the space and the stored
/// configuration), so each reader of the storage judges trials alike; null for a study another Optuna client made.
/// <para>Another Optuna client may write a trial with parameters this study neither searches nor fixes
/// (<c>weight_decay</c>), or that contradict <c>fixed</c> (<c>optimizer=sgd</c> where it fixes adam). Retraining must
/// reproduce what was measured, and the worker would train those values where the study says it does not (the audit's
/// retrain trained SGD while <c>study best</c> printed "optimizer (fixed) adam"), so such a trial is no configuration
/// of this study: <see cref="Excludes"/> says why, and <see cref="BestTrial"/> leaves it out.</para>
/// </summary>
public sealed record StudyTerms(SearchSpace Space, IReadOnlyDictionary<string, object> Fixed)
{
    /// <summary>The terms stored with a study (<see cref="StudyAttributes.SearchSpace"/>, and <c>fixed</c> of the stored
    /// configuration), or null when it has no stored space or its attributes do not read.</summary>
    public static StudyTerms? From(IReadOnlyDictionary<string, string> studySystemAttrs)
    {
        if (!studySystemAttrs.TryGetValue(StudyAttributes.SearchSpace, out var spaceJson)) return null;
        try
        {
            var space = new SearchSpace(JsonNode.Parse(spaceJson)!.AsArray()
                .Select(n => new KeyValuePair<string, ParameterDistribution>((string)n!["name"]!, ParameterDistribution.FromOptunaJson(n["distribution"]!.ToJsonString())))
                .ToList());
            return new StudyTerms(space, studySystemAttrs.TryGetValue(StudyAttributes.Settings, out var settings) ? FixedOf(settings) : new Dictionary<string, object>());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or InvalidCastException or ArgumentException or NullReferenceException)
        {
            // A damaged attribute is named by the commands that need the configuration (`study resume`); a view still shows the trials.
            return null;
        }
    }

    // "fixed" of the configuration text stored as {"source_path", "text"} in a JSON string (StudyOpener writes it), in
    // the canonical form the configuration loader gives it (32.0 → 32 for an int).
    private static Dictionary<string, object> FixedOf(string settingsJson)
    {
        var stored = JsonNode.Parse(JsonNode.Parse(settingsJson)!.GetValue<string>())!;
        var config = JsonNode.Parse((string)stored["text"]!, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        if (config?["fixed"] is not JsonObject fixedValues) return result;
        foreach (var (name, node) in fixedValues)
            if (Scalar(node) is { } value) result[name] = HyperparameterTable.Find(name)?.Canonical(value) ?? value;
        return result;
    }

    private static object? Scalar(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => node.AsValue().TryGetValue<long>(out var l) ? l : node.GetValue<double>(),
        _ => null,
    };

    /// <summary>
    /// Why <paramref name="trial"/> is no configuration of this study: a parameter it neither searches nor fixes whose
    /// value is not what its trials run with (the worker's default), or one that contradicts <see cref="Fixed"/>. Null
    /// when it is one (our own trials always are).
    /// </summary>
    public string? Excludes(TrialSnapshot trial)
    {
        var reasons = new List<string>();
        foreach (var name in trial.Params.Keys)
        {
            if (Space.Names.Contains(name)) continue;
            var value = trial.ExternalParam(name);
            if (Fixed.TryGetValue(name, out var fixedValue))
            {
                if (!Same(name, value, fixedValue)) reasons.Add($"{name}={Show(value)} where fixed says {Show(fixedValue)}");
            }
            else if (HyperparameterTable.Find(name) is { } known)
            {
                if (!Same(name, value, known.Default)) reasons.Add($"{name}={Show(value)}, which this study does not search (its trials run with {Show(known.Default)})");
            }
            else reasons.Add($"{name}={Show(value)}, which this study does not search or fix");
        }
        return reasons.Count == 0 ? null : string.Join("; ", reasons);
    }

    /// <summary>
    /// The searched parameters whose value lies outside the space as it is now (a study taken over from a wider Optuna
    /// range): measured as such, so the trial stays a candidate, but a reader should know. Null when none.
    /// </summary>
    public string? OutsideSpace(TrialSnapshot trial)
    {
        var outside = new List<string>();
        foreach (var (name, distribution) in Space.Parameters)
        {
            if (!trial.Params.ContainsKey(name)) continue;
            var value = trial.ExternalParam(name);
            bool inside;
            try { inside = distribution.Contains(distribution.ToInternal(value)); }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException) { inside = false; }
            if (!inside) outside.Add($"{name}={Show(value)} is outside the space's {distribution.ToOptunaJson().ToJsonString()}");
        }
        return outside.Count == 0 ? null : string.Join("; ", outside);
    }

    private static bool Same(string name, object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        var table = HyperparameterTable.Find(name);
        var (x, y) = (table?.Canonical(a) ?? a, table?.Canonical(b) ?? b);
        return (Number(x), Number(y)) is ({ } u, { } v) ? u == v : Equals(x, y);
    }

    private static double? Number(object v) => v switch { long l => l, int i => i, double d => d, float f => f, _ => null };

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
