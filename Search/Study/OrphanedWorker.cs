using System.Globalization;
using System.Text.Json;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;

namespace Mnist.Search.Study;

/// <summary>
/// The worker of a trial whose coordinator has certainly ended on this host (see
/// <see cref="ProcessIdentity.HasCertainlyEnded"/>): killed with its process group (it leads one, see
/// <see cref="ProcessGroup"/>) when it still runs, before the trial's retry is queued. Only when the live process of
/// its stored pid is the one started for the trial: its <see cref="StudyAttributes.WorkerInstance"/> (boot, pid
/// namespace, start time) matches, so a later process that reuses the pid is never touched; a trial recorded without
/// it is left alone.
/// </summary>
internal static class OrphanedWorker
{
    /// <summary>Kills the trial's worker group when it is certainly that trial's worker; its pid then, else null.</summary>
    public static int? Kill(TrialSnapshot trial)
    {
        if (!trial.SystemAttrs.TryGetValue(StudyAttributes.WorkerPid, out var p)
            || !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 1) return null;
        if (!trial.SystemAttrs.TryGetValue(StudyAttributes.WorkerInstance, out var json)) return null;
        string? recorded;
        try { recorded = JsonSerializer.Deserialize<string>(json); }
        catch (JsonException) { return null; }
        if (recorded is null || ProcessIdentity.InstanceOf(pid) != recorded) return null;
        ProcessGroup.Kill(pid);
        return pid;
    }
}
