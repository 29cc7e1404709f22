using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// The system attributes that mark a RUNNING trial as this process's (host, coordinator pid and start time): the heartbeat
/// sweep judges only trials that carry them, and the orphan sweep reads them. Written in the transaction that makes a
/// trial RUNNING (a claim, a late result's stand-in): a RUNNING trial without them was never swept, and its study waited
/// for it for good.
/// </summary>
internal static class OwnerAttributes
{
    public static IReadOnlyDictionary<string, object?> OfThisProcess() => new Dictionary<string, object?>
    {
        [StudyAttributes.Host] = ProcessIdentity.Current.Host,
        [StudyAttributes.CoordinatorPid] = ProcessIdentity.Current.Pid,
        [StudyAttributes.CoordinatorInstance] = ProcessIdentity.Current.Instance,
    };

    /// <summary>The coordinator that marked <paramref name="trial"/> RUNNING, or null when the trial carries no mark (Optuna's own).</summary>
    public static ProcessIdentity? OwnerOf(TrialSnapshot trial)
    {
        if (!trial.SystemAttrs.TryGetValue(StudyAttributes.Host, out var host)) return null;
        if (!trial.SystemAttrs.TryGetValue(StudyAttributes.CoordinatorPid, out var p) || !int.TryParse(p, out var pid)) return null;
        return new ProcessIdentity(System.Text.Json.JsonSerializer.Deserialize<string>(host) ?? "", pid,
            trial.SystemAttrs.TryGetValue(StudyAttributes.CoordinatorInstance, out var instance) ? System.Text.Json.JsonSerializer.Deserialize<string>(instance) : null);
    }
}
