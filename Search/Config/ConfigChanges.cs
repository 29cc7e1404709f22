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

    private static readonly (string Key, Func<StudyConfig, object?> Value, bool Refused)[] Keys =
    [
        ("dataset.name", c => c.Dataset.Name, true),
        ("dataset.validation", c => c.Dataset.Validation, true),
        ("dataset.train_subset", c => c.Dataset.TrainSubset, true),
        // Values in effect, not as written: adding "seed": 42 where it was left out changes nothing and is no change.
        // The sampler seed comes first: changing it changes the split seed in effect too, and it is the one to name.
        ("sampler.seed", c => c.Sampler.EffectiveSeed, true),
        ("dataset.split_seed", c => c.Dataset.SplitSeed ?? c.Sampler.EffectiveSeed, true),
        ("objective.metric", c => c.Objective.Metric, true),
        ("objective.direction", c => c.Objective.Direction, true),
        ("space", c => c.Space.Names.Select(n => new { n, d = c.Space.Parameters.First(p => p.Key == n).Value.ToOptunaJson().ToJsonString() }), true),
        ("fixed", FixedInEffect, true),
        ("budget.epochs", c => c.Budget.Epochs, true),
        ("budget.trials", c => c.Budget.Trials, false),
        ("budget.max_concurrent", c => c.Budget.MaxConcurrent, false),
        ("budget.timeout_minutes", c => c.Budget.Timeout?.TotalMinutes, false),
        ("budget.trial_timeout_minutes", c => c.Budget.EffectiveTrialTimeout.TotalMinutes, false),
        ("budget.max_consecutive_failures", c => c.Budget.MaxConsecutiveFailures, false),
        ("sampler.kind", c => c.Sampler.Kind, false),
        ("sampler.startup_trials", c => c.Sampler.StartupTrials, false),
        ("pruner", c => c.Pruner, false),
        ("devices", c => c.Devices, false),
        ("retrain", c => c.Retrain, false),
        ("selection", c => c.Selection, false),
        ("dataset.dir", c => c.Dataset.Dir, false),
        ("worker.command", c => c.Worker?.Command, false),
    ];

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
        Keys.SelectMany(k => Differences(k.Key, JsonSerializer.SerializeToNode(k.Value(stored), Json), JsonSerializer.SerializeToNode(k.Value(now), Json), k.Refused))
            .OrderByDescending(c => c.Refused)
            .ToList();

    private static IEnumerable<Change> Differences(string key, JsonNode? stored, JsonNode? now, bool refused)
    {
        if (stored is JsonObject a && now is JsonObject b)
            return a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal)
                .SelectMany(name => Differences($"{key}.{name}", a[name], b[name], refused));
        var (shownStored, shownNow) = (stored?.ToJsonString() ?? "null", now?.ToJsonString() ?? "null");
        return shownStored == shownNow ? [] : [new Change(key, shownStored, shownNow, refused)];
    }
}
