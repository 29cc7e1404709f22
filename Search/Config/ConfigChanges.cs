using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Mnist.Protocol.Hyperparameters;

namespace Mnist.Search.Config;

/// <summary>
/// What changed between the configuration a study was created (or last resumed) with and the one it is
/// resumed with, key by key (issue 11). A change to what a trial's value means — its data, epochs, objective,
/// space, fixed hyperparameters, seed or split seed (which fix the validation images) — would mix incomparable trials in
/// one study and is refused; everything else (budget size, concurrency, timeouts, sampler and pruner kind,
/// devices, retraining, paths, the worker command) is applied and stored for later resumes.
/// </summary>
public static class ConfigChanges
{
    public sealed record Change(string Key, string Stored, string Now, bool Refused);

    // snake_case, as search.json writes its keys and values: the sections were shown as C# records
    // ({"Kind":"Median",...}), names a user finds nowhere in the file.
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    // Each value is read from one side, given the other: only `fixed` needs it (FixedCompared).
    private static readonly (string Key, Func<StudyConfig, StudyConfig, object?> Value, bool Refused)[] Keys =
    [
        ("dataset.name", (c, _) => c.Dataset.Name, true),
        ("dataset.validation", (c, _) => c.Dataset.Validation, true),
        ("dataset.train_subset", (c, _) => c.Dataset.TrainSubset, true),
        // Values in effect, not as written: adding "seed": 42 where it was left out changes nothing and is no change.
        // The sampler seed comes first: changing it changes the split seed in effect too, and it is the one to name.
        ("sampler.seed", (c, _) => c.Sampler.EffectiveSeed, true),
        ("dataset.split_seed", (c, _) => c.Dataset.SplitSeed ?? c.Sampler.EffectiveSeed, true),
        ("objective.metric", (c, _) => c.Objective.Metric, true),
        ("objective.direction", (c, _) => c.Objective.Direction, true),
        // Each parameter on its own, so a refusal names $.space.NAME (the whole space was shown, each distribution a
        // quoted string); then the order, which the study's stored space holds too.
        ("space", (c, _) => new JsonObject(c.Space.Parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value.ToOptunaJson()))), true),
        ("space", (c, _) => c.Space.Names, true),
        ("fixed", FixedCompared, true),
        ("budget.epochs", (c, _) => c.Budget.Epochs, true),
        ("budget.trials", (c, _) => c.Budget.Trials, false),
        ("budget.max_concurrent", (c, _) => c.Budget.MaxConcurrent, false),
        ("budget.timeout_minutes", (c, _) => c.Budget.Timeout?.TotalMinutes, false),
        ("budget.trial_timeout_minutes", (c, _) => c.Budget.EffectiveTrialTimeout.TotalMinutes, false),
        ("budget.max_consecutive_failures", (c, _) => c.Budget.MaxConsecutiveFailures, false),
        ("sampler.kind", (c, _) => c.Sampler.Kind, false),
        ("sampler.startup_trials", (c, _) => c.Sampler.StartupTrials, false),
        ("pruner", (c, _) => c.Pruner, false),
        ("devices", (c, _) => c.Devices, false),
        ("retrain", (c, _) => c.Retrain, false),
        ("selection", (c, _) => c.Selection, false),
        ("dataset.dir", (c, _) => c.Dataset.Dir, false),
        ("worker.command", (c, _) => c.Worker?.Command, false),
    ];

    /// <summary>
    /// The fixed hyperparameters of <paramref name="c"/> as compared with <paramref name="other"/>'s: in effect when both
    /// run the Trials worker, as written when both run another program, and when <c>worker.command</c> was added or
    /// taken out, the values in effect of the keys written on either side only. The other program's defaults are
    /// unknown: comparing the table's defaults, filled in for one side, with what the other wrote refused adding a
    /// worker program as a change of <c>fixed.fc_layers</c>, a key neither file had (audit-cli 3).
    /// </summary>
    private static Dictionary<string, object> FixedCompared(StudyConfig c, StudyConfig other)
    {
        var inEffect = FixedInEffect(c);
        if (c.Worker is not null || other.Worker is null) return inEffect;
        var written = c.Fixed.Concat(other.Fixed).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        return inEffect.Where(kv => written.Contains(kv.Key)).ToDictionary();
    }

    /// <summary>
    /// Every hyperparameter the space does not search, at the value its trials ran with: the fixed one, else the table's
    /// default (for the Trials worker, whose defaults the table holds). As written, adding <c>"kernel_size": 3</c> (the default every trial had run with) was refused as a change
    /// "from null".
    /// </summary>
    private static Dictionary<string, object> FixedInEffect(StudyConfig c)
    {
        // Another worker program gets what is written, and has defaults and rules of its own that this table does not know.
        if (c.Worker is not null) return c.Fixed.ToDictionary(kv => kv.Key, kv => kv.Value);
        var values = HyperparameterTable.Defaults.Where(d => !c.Space.Names.Contains(d.Key)).ToDictionary(d => d.Key, d => d.Value);
        foreach (var (name, value) in c.Fixed) values[name] = value;
        // What the model never reads changes nothing: taking out a "momentum" set beside Adam (now refused in a new
        // configuration) is no change of what the trials meant.
        foreach (var name in values.Keys.Where(n => !HyperparameterTable.IsRead(n, values)).ToList())
            values.Remove(name);
        return values;
    }

    /// <summary>
    /// The keys whose values differ, refused ones first. A section (an object: <c>fixed</c>, <c>pruner</c>,
    /// <c>devices</c>, ...) is compared key by key, in any order, and each differing key is named on its own:
    /// <c>fixed</c> with two lines swapped was refused as a change, its two sides alike but for their order.
    /// </summary>
    public static IReadOnlyList<Change> Between(StudyConfig stored, StudyConfig now) =>
        Keys.SelectMany(k => Differences(k.Key, JsonSerializer.SerializeToNode(k.Value(stored, now), Json), JsonSerializer.SerializeToNode(k.Value(now, stored), Json), k.Refused))
            .OrderByDescending(c => c.Refused)
            .ToList();

    private static IEnumerable<Change> Differences(string key, JsonNode? stored, JsonNode? now, bool refused)
    {
        // A distribution is shown whole: its attributes are Optuna's, not keys of search.json.
        if (stored is JsonObject a && now is JsonObject b && !key.StartsWith("space.", StringComparison.Ordinal))
            return a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal)
                .SelectMany(name => Differences($"{key}.{name}", a[name], b[name], refused));
        var (shownStored, shownNow) = (stored?.ToJsonString() ?? "null", now?.ToJsonString() ?? "null");
        return shownStored == shownNow ? [] : [new Change(key, shownStored, shownNow, refused)];
    }

    /// <summary>
    /// The one line that refuses <paramref name="refused"/> when <paramref name="now"/> resumes a study created with
    /// <paramref name="stored"/>: the file, the key's JSON path and both values, as every other configuration error
    /// names them (it named neither the file nor the path), then why and what to do instead.
    /// </summary>
    public static string Refusal(string study, StudyConfig stored, StudyConfig now, Change refused)
    {
        var values = (refused.Stored, refused.Now) switch
        {
            ("null", var given) => $"was created without it, got {given}",
            (var was, "null") => $"was created with {was}, which this file leaves out",
            var (was, given) => $"was created with {was}, got {given}",
        };
        var worker = refused.Key.StartsWith("fixed.", StringComparison.Ordinal) && (stored.Worker is null) != (now.Worker is null)
            ? $" ($.worker.command is {(now.Worker is null ? "taken out" : "added")}: another program is given only the fixed values written, so they must say what the trials ran with)"
            : "";
        return $"{now.SourcePath}: $.{refused.Key}: study '{study}' {values}{worker}, which would mix incomparable trials " +
            $"(use the original value, or another study name; to carry its best configurations over: `study create` the new one, `study enqueue NEW --from-study {study} --top N`, then `study start`)";
    }
}
