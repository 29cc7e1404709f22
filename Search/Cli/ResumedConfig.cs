using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Storage;
using Mnist.Search.Space;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>
/// Resuming an existing study with a configuration file: refuses a change that would make its trials
/// incomparable (naming the key, exit 2), applies the others and stores the new configuration, so that
/// <c>study resume</c> and <c>study worker</c> elsewhere run with what the user asked for last (issue 11).
/// </summary>
internal static class ResumedConfig
{
    /// <summary>
    /// Throws <see cref="StudyConflictException"/> for a change of <paramref name="study"/>'s stored configuration that
    /// would mix incomparable trials; nothing when there is none. Called before the study is opened: the opener's own
    /// refusals of another space or direction named neither the file nor the JSON path (audit-cli 8).
    /// </summary>
    public static async Task RefuseChangedAsync(IStudyStorage storage, string name, StudyConfig config, string storedSource, CancellationToken ct)
    {
        if (await storage.GetStudyAsync(name, ct) is not { } study) return;
        if (await StoredAsync(storage, study, config, storedSource, ct) is { Config: { } stored })
            Refuse(study, stored, config, ConfigChanges.Between(stored, config));
    }

    /// <summary>
    /// Throws <see cref="StudyConflictException"/> for a change that would mix incomparable trials. Called before the
    /// study folder is claimed or its log opened: a refusal used to leave studies/NAME/ with a marker and an empty log.
    /// </summary>
    public static async Task RefuseIncomparableAsync(IStudyStorage storage, StudyInfo study, StudyConfig config, string storedSource, CancellationToken ct)
    {
        var previous = await StoredAsync(storage, study, config, storedSource, ct);
        if (previous is { Config: { } stored })
            Refuse(study, stored, config, ConfigChanges.Between(stored, config));
        else if (previous is null)
            RefuseOtherParameters(study, config, await storage.GetAllTrialsAsync(study.Id, ct: ct));
    }

    // A study made by another tool (Optuna) has no stored configuration to compare, but its trials say what they
    // searched. One with a parameter this space does not search, or of another kind or other choices (Optuna itself
    // refuses those: "does not support dynamic value space"), was adopted silently: its best trial, outside the space,
    // was reported and retrained, and a categorical's stored index was read under this space's choices, so the
    // samplers learnt the opposite of what its trials said. (A numeric range that differs is Optuna's dynamic range:
    // values outside this one are left out by the samplers.)
    // Optuna's JSON form; an Optuna categorical may hold inf or NaN, which plain JSON output refuses to write.
    private static string Describe(ParameterDistribution distribution) =>
        distribution.ToOptunaJson().ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        });

    private static void RefuseOtherParameters(StudyInfo study, StudyConfig config, IReadOnlyList<TrialSnapshot> trials)
    {
        var searched = config.Space.Names.ToHashSet(StringComparer.Ordinal);
        foreach (var trial in trials.OrderBy(t => t.Number))
        foreach (var (name, theirs) in trial.Distributions)
        {
            if (!searched.Contains(name))
                throw new StudyConflictException(
                    $"{config.SourcePath}: $.space: study '{study.Name}' (made without this configuration) has trials with parameter '{name}', " +
                    $"which this space does not search (trial {trial.Number}); that would mix incomparable trials (search its parameters, or use another study name)");
            var mine = config.Space[name];
            if (theirs.GetType() != mine.GetType() || (theirs is CategoricalDistribution && !theirs.Equals(mine)))
                throw new StudyConflictException(
                    $"{config.SourcePath}: $.space.{name}: study '{study.Name}' (made without this configuration) has it as " +
                    $"{Describe(theirs)} (trial {trial.Number}), this space as {Describe(mine)}; " +
                    "that would mix incomparable trials (declare it as the study did, or use another study name)");
        }
    }

    public static async Task ReconcileAsync(IStudyStorage storage, StudyInfo study, StudyConfig config, string storedSource, Serilog.ILogger log, CancellationToken ct)
    {
        var previous = await StoredAsync(storage, study, config, storedSource, ct);
        if (previous is null)
        {
            // A study made by another tool (Optuna) has none: this configuration becomes its own, so workers can join it,
            // but only when its trials searched this space. Checked here, not left to the caller: `study create` stored
            // the configuration without it, and from then on `study start` compared configurations alone and adopted a
            // study whose best trial lay outside the space.
            RefuseOtherParameters(study, config, await storage.GetAllTrialsAsync(study.Id, ct: ct));
            log.Information("Study {Study} had no stored configuration; this one is stored with it", study.Name);
            if (await storage.CompareAndSetStudySystemAttrAsync(study.Id, StudyAttributes.Settings, null, storedSource, ct))
                await storage.SetStudySystemAttrAsync(study.Id, StudyAttributes.BudgetTrials, config.Budget.Trials, ct);
            return;
        }
        if (previous.Unreadable is { } error)
        {
            log.Warning("Study {Study}: its stored configuration cannot be read ({Error}); not compared", study.Name, error);
            return;
        }
        if (previous.RenamedTo is { } renamedAttribute)
        {
            // A rename alone (optuna.copy_study): the stored attribute with only its study changed. Storing this run's own
            // configuration instead gave it the joining worker's folder as source_path, so a later `study resume` wrote
            // under the worker's folder, and its paths, resolved there, were logged as changes nobody made.
            log.Information("Study {Study}: study changed from {Stored} to {Now} (its name in the storage, e.g. after optuna.copy_study); applied and stored",
                study.Name, previous.PreviousName, config.Study);
            await storage.SetStudySystemAttrAsync(study.Id, StudyAttributes.Settings, renamedAttribute, ct);
            return;
        }
        if (previous.Config is not { } stored) return;

        var changes = ConfigChanges.Between(stored, config);
        Refuse(study, stored, config, changes);
        // The name the study has in its storage wins (optuna.copy_study to a new name): stored back, as a budget change is.
        var renamed = stored.Study != config.Study;
        if (changes.Count == 0 && !renamed) return;

        foreach (var change in changes)
            log.Information("Study {Study}: {Key} changed from {Stored} to {Now}; applied and stored", study.Name, change.Key, change.Stored, change.Now);
        if (renamed)
            log.Information("Study {Study}: study changed from {Stored} to {Now} (its name in the storage, e.g. after optuna.copy_study); applied and stored",
                study.Name, stored.Study, config.Study);
        await storage.SetStudySystemAttrAsync(study.Id, StudyAttributes.Settings, storedSource, ct);
        // Running processes read the total from here each round (see Study/BudgetTotal).
        await storage.SetStudySystemAttrAsync(study.Id, StudyAttributes.BudgetTrials, config.Budget.Trials, ct);
    }

    private static void Refuse(StudyInfo study, StudyConfig stored, StudyConfig config, IReadOnlyList<ConfigChanges.Change> changes)
    {
        if (changes.FirstOrDefault(c => c.Refused) is { } refused)
            throw new StudyConflictException(ConfigChanges.Refusal(study.Name, stored, config, refused));
    }

    // The stored configuration: null when there is none; Config null when it is this very text (`study resume` and
    // `study worker` run the stored text itself: nothing to compare, nothing to store), that text renamed (RenamedTo:
    // the attribute to store, PreviousName: the name it had) or unreadable.
    private sealed record Stored(StudyConfig? Config, string? Unreadable, string? RenamedTo = null, string? PreviousName = null);

    private static async Task<Stored?> StoredAsync(IStudyStorage storage, StudyInfo study, StudyConfig config, string storedSource, CancellationToken ct)
    {
        try
        {
            // Inside the try: an attribute that is not a JSON string is as unreadable as one whose text is not JSON.
            var previous = await StudyOpener.StoredConfigAsync(storage, study, ct);
            if (previous is null) return null;
            var source = JsonNode.Parse(previous)!;
            var text = (string?)JsonNode.Parse(storedSource)!["text"];
            if ((string?)source["text"] == text) return new Stored(null, null);
            var stored = StudyConfigLoader.Parse((string)source["text"]!, (string?)source["source_path"] ?? config.SourcePath);
            // `study resume` and `study worker` run the stored text under the study's name in its storage (StoredConfig.Named):
            // nothing changed but the name, and no path is compared against this process's folder.
            if (stored.Study != config.Study && StoredConfig.Renamed((string)source["text"]!, config.Study) == text)
            {
                source["text"] = text;
                return new Stored(null, null, source.ToJsonString(), stored.Study);
            }
            return new Stored(stored, null);
        }
        catch (Exception e) when (e is ConfigException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return new Stored(null, e.Message);
        }
    }
}
