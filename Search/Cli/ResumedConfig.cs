using System.Text.Json.Nodes;
using Mnist.Search.Config;
using Mnist.Search.Storage;
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
    /// Throws <see cref="StudyConflictException"/> for a change that would mix incomparable trials. Called before the
    /// study folder is claimed or its log opened: a refusal used to leave studies/NAME/ with a marker and an empty log.
    /// </summary>
    public static async Task RefuseIncomparableAsync(IStudyStorage storage, StudyInfo study, StudyConfig config, string storedSource, CancellationToken ct)
    {
        if (await StoredAsync(storage, study, config, storedSource, ct) is { Config: { } stored })
            Refuse(study, ConfigChanges.Between(stored, config));
    }

    public static async Task ReconcileAsync(IStudyStorage storage, StudyInfo study, StudyConfig config, string storedSource, Serilog.ILogger log, CancellationToken ct)
    {
        var previous = await StoredAsync(storage, study, config, storedSource, ct);
        if (previous is null)
        {
            // A study made by another tool (Optuna) has none: this configuration becomes its own, so workers can join it.
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
        if (previous.Config is not { } stored) return;

        var changes = ConfigChanges.Between(stored, config);
        Refuse(study, changes);
        if (changes.Count == 0) return;

        foreach (var change in changes)
            log.Information("Study {Study}: {Key} changed from {Stored} to {Now}; applied and stored", study.Name, change.Key, change.Stored, change.Now);
        await storage.SetStudySystemAttrAsync(study.Id, StudyAttributes.Settings, storedSource, ct);
        // Running processes read the total from here each round (see Study/BudgetTotal).
        await storage.SetStudySystemAttrAsync(study.Id, StudyAttributes.BudgetTrials, config.Budget.Trials, ct);
    }

    private static void Refuse(StudyInfo study, IReadOnlyList<ConfigChanges.Change> changes)
    {
        if (changes.FirstOrDefault(c => c.Refused) is { } refused)
            throw new StudyConflictException(
                $"study '{study.Name}' exists with {refused.Key} = {refused.Stored}; the configuration says {refused.Now}, which would mix incomparable trials " +
                $"(use the original value, or another study name)");
    }

    // The stored configuration: null when there is none; Config null when it is this very text (`study resume` and
    // `study worker` run the stored text itself: nothing to compare, nothing to store) or unreadable.
    private sealed record Stored(StudyConfig? Config, string? Unreadable);

    private static async Task<Stored?> StoredAsync(IStudyStorage storage, StudyInfo study, StudyConfig config, string storedSource, CancellationToken ct)
    {
        try
        {
            // Inside the try: an attribute that is not a JSON string is as unreadable as one whose text is not JSON.
            var previous = await StudyOpener.StoredConfigAsync(storage, study, ct);
            if (previous is null) return null;
            var source = JsonNode.Parse(previous)!;
            if ((string?)source["text"] == (string?)JsonNode.Parse(storedSource)!["text"]) return new Stored(null, null);
            return new Stored(StudyConfigLoader.Parse((string)source["text"]!, (string?)source["source_path"] ?? config.SourcePath), null);
        }
        catch (Exception e) when (e is ConfigException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return new Stored(null, e.Message);
        }
    }
}
