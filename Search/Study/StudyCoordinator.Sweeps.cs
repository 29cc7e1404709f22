using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>Sweeps for RUNNING trials whose process is gone: this host's dead coordinators' at once, any other's by a stale heartbeat.</summary>
public sealed partial class StudyCoordinator
{
    /// <summary>
    /// RUNNING trials that this host's dead processes left behind are failed at once (no need to wait
    /// for their heartbeat to go stale) and queued again. Trials of live processes are left alone.
    /// A coordinator that died (kill -9, Slurm's SIGKILL after KillWait, a closed VM) was stopped, as by Ctrl+C: its
    /// trial is queued again whatever its count and the death is not counted (<see cref="Retries.AfterStop"/>). Counted,
    /// the third kill -9 during one configuration dropped it, and its place in the budget became a FAIL that never trained.
    /// A worker that crashes is seen by its living coordinator, by its exit code, and stays bounded.
    /// </summary>
    private async Task FailOrphanedTrialsAsync(int studyId)
    {
        var running = await _storage.GetAllTrialsAsync(studyId, [TrialState.RUNNING]);
        foreach (var trial in running)
        {
            if (OwnerAttributes.OwnerOf(trial) is not { } owner) continue;
            int pid = owner.Pid;
            // Only a process this one can see to have ended (another container of the same host name cannot be seen).
            if (!ProcessIdentity.Current.HasCertainlyEnded(owner)) continue;
            // Its worker, a session leader, outlives the coordinator when it does not exit at the end of its stdin (a custom
            // worker.command, one stuck in native code): it ran on beside its retry, holding a GPU and writing into trials/N/.
            if (OrphanedWorker.Kill(trial) is { } workerPid)
                _log.Warning("Trial {Trial}: its worker (pid {WorkerPid}) outlived its dead coordinator; killed it and its process group", trial.Number, workerPid);
            OrphanedTrialFolder.RemoveLeftovers(trial, _settings.StudyDirectory);
            // Null when another process (a sweep, a twin of ours) finished it meanwhile: nothing left to do.
            var reason = new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"orphaned: coordinator process {pid} is gone" };
            if (await _storage.FailTrialAsync(trial.Id, reason, Retries.AfterStop()) is { } failed)
            {
                _log.Warning("Trial {Trial} was left RUNNING by dead process {Pid}; marked FAIL", trial.Number, pid);
                Retries.Log(failed, _log);
            }
        }
    }

    private async Task SweepStaleTrialsAsync(int studyId)
    {
        // Our own trials' heartbeats first: after a database outage longer than the grace (a PostgreSQL restart under
        // load) their last heartbeats are old although their workers run, and the sweep would fail and queue again the
        // trials this very process is supervising (StaleTrialRecoveryTests once ended with a fourth trial in CI under
        // load, as such a sweep of the surviving coordinator's trial would leave).
        foreach (var id in _supervised.Keys)
        {
            try { await _storage.RecordHeartbeatAsync(id); }
            catch (TrialNotRunningException) { } // finished meanwhile (by us or by another process's sweep)
        }
        // Right after an outage (this process saw the database fail within the grace) every process's heartbeats are
        // old, not only dead ones': the others have not beaten again yet. Sweeping then failed live trials, which ran
        // twice (their retries started at once) and used up their retries; one grace after the outage, the living have beaten.
        if (_storage.SinceLastOutage is { } since && since < _settings.HeartbeatGrace) return;
        // The reason is written in the failing transaction: a FAIL trial is read-only, so setting it afterwards
        // threw and took the surviving coordinator down (issue 11).
        var reason = new Dictionary<string, object?>
        {
            [StudyAttributes.FailReason] = $"stale heartbeat (> {_settings.HeartbeatGrace.TotalSeconds:0}s): its process died or was stopped",
        };
        foreach (var stale in await _storage.FailStaleTrialsAsync(studyId, _settings.HeartbeatGrace, reason, Retries.Rule(_settings.MaxRetries)))
        {
            _log.Warning("Trial {Trial} has no heartbeat for {Grace}s; marked FAIL", stale.Trial.Number, _settings.HeartbeatGrace.TotalSeconds);
            Retries.Log(stale, _log);
        }
    }
}
