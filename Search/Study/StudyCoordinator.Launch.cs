using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;

namespace Mnist.Search.Study;

/// <summary>The launch loop: a free device, a trial asked for, run and supervised; a full disk or a worker that cannot start stops it.</summary>
public sealed partial class StudyCoordinator
{
    private async Task LaunchUntilStoppedAsync(StudyInfo study, CancellationTokenSource stop, DateTime deadline, List<Task> running)
    {
        var interrupt = stop.Token;
        var lastTry = false;
        StorageOutageWindow.Of(_storage).StopsWith(interrupt);
        while (!interrupt.IsCancellationRequested && DateTime.UtcNow < deadline)
        {
            try
            {
                running.RemoveAll(task => task.IsCompleted);
                await FailOrphanedTrialsAsync(study.Id);
                await SweepStaleTrialsAsync(study.Id);

                var trials = await _storage.GetAllTrialsAsync(study.Id);
                StorageOutageWindow.Of(_storage).Answered(_log);
                var budget = Budget.Of(trials, await BudgetTotal.ReadAsync(_storage, study.Id, _settings.Trials));
                _observer.StudyRead(trials, budget.Total);
                await RecordChosenAsync(study.Id, trials);
                _beyondBudget.Explain(trials, budget);
                if (budget.IsSpent) break;
                if (_failures.ReachedIn(trials) is { } last)
                {
                    // The running trials are stopped as by Ctrl+C (recorded FAIL and queued again, not counted).
                    _lastOfStreak = last;
                    _log.Error("{Count} trials in a row failed (budget.max_consecutive_failures), stopping; the last, trial {Trial}: {Reason}",
                        _settings.MaxConsecutiveFailures, last.Number, FailureStreak.Reason(last));
                    stop.Cancel();
                    break;
                }

                var claimable = budget.CanClaimWaiting && trials.Any(x => x.State == TrialState.WAITING);
                if (!claimable && !budget.CanStartNew || running.Count >= _devices.Devices.Count)
                {
                    // Nothing to start here now: wait for one of ours to end, or poll for others' progress. Waiting for
                    // nothing but other clients' trials is said (and, once they are abandoned, ended: UntrackedTrials).
                    var blocked = running.Count == 0 && !claimable && !budget.CanStartNew && trials.Any(UntrackedTrials.IsExternal);
                    if (blocked && _untracked.Explain(trials, await _storage.GetHeartbeatAgesAsync(study.Id)))
                    {
                        _abandoned = trials.Where(t => t.State == TrialState.RUNNING).Select(t => t.Number).ToList();
                        break;
                    }
                    await WaitAnyAsync(running, _settings.HeartbeatInterval, interrupt);
                    continue;
                }

                DeviceLease lease;
                try { lease = await _devices.AcquireAsync(interrupt); }
                catch (OperationCanceledException) { break; }

                TrialSnapshot? trial;
                try { trial = await AskAsync(study.Id, budget, interrupt); }
                catch
                {
                    lease.Dispose();
                    throw;
                }
                if (trial is null)
                {
                    lease.Dispose();
                    // Waiting for a candidate lasts as long as a trial: polled like the study (every heartbeat), not every second.
                    await WaitAnyAsync(running, _awaitingCandidate ? _settings.HeartbeatInterval : TimeSpan.FromSeconds(1), interrupt);
                    continue;
                }
                running.Add(RunTrialAsync(trial, lease, study.Id, stop));
            }
            catch (Exception e) when (DiskReserve.IsDiskFull(e))
            {
                StopForFullDisk(e, stop);
            }
            catch (Exception e) when (StorageOutage.Is(e) && !StorageOutage.WasRiddenOut(e) && StorageOutageWindow.Of(_storage).RidesOut(e, _log, ref lastTry))
            {
                // The running trials go on (their workers do not need the database); new ones wait for it to return. The
                // window says the outage (StorageOutageWindow); at its end the loop tries once more at once.
                try { await Task.Delay(lastTry ? TimeSpan.Zero : TimeSpan.FromSeconds(2), interrupt); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    // A full disk fails every later write too: stop launching, stop the running workers (their trials are
    // recorded FAIL with the room the storage's reserve gave back) and report it once (issue 11).
    private void StopForFullDisk(Exception e, CancellationTokenSource stop)
    {
        if (Interlocked.CompareExchange(ref _diskFull, e, null) is null)
            _log.Error("Disk full, stopping the study: {Error}", (e as StorageFullException)?.Message ?? e.Message);
        stop.Cancel();
    }

    private async Task RunTrialAsync(TrialSnapshot trial, DeviceLease lease, int studyId, CancellationTokenSource stop)
    {
        // Run on the thread pool so a slow start of one trial never delays launching the next.
        await Task.Yield();
        _supervised[trial.Id] = 0;
        using (lease)
        {
            try { await _execution.RunAsync(trial, lease.Device, studyId, stop.Token); }
            catch (Exception e) when (DiskReserve.IsDiskFull(e))
            {
                StopForFullDisk(e, stop);
                await FailAfterFullDiskAsync(trial, e);
            }
            catch (WorkerStartException e)
            {
                // The trial is recorded and queued again; the study stops, as every trial here would fail the same way.
                if (Interlocked.CompareExchange(ref _workerStart, e, null) is null)
                    _log.Error("The worker cannot {What}, stopping the study: {Error}", e.Started ? "run trials here" : "be started", e.Message);
                stop.Cancel();
            }
            catch (RowNotFoundException)
            {
                // Its row is gone: another client deleted the study (the loop says so in one line). There is nothing to
                // record; it was an error with a stack trace, and the attempt to fail the trial threw again.
                _log.Warning("Trial {Trial} is no longer in the storage (its study was deleted by another client)", trial.Number);
            }
            // The database's errors only (a file-system IOException of the trial's folder is no outage: the general catch below).
            catch (Exception e) when (StorageOutage.Is(e) && e is StorageUnreachableException or System.Data.Common.DbException)
            {
                // The database stayed away longer than the ride-out: recording the trial fails as well (it printed two stack
                // traces before the command's one line). It stays RUNNING, and the next run's sweep fails it and queues it again.
                _log.Error("Trial {Trial} could not be recorded: the database failed ({Error}); the next run queues it again", trial.Number, e.Message);
            }
            catch (Exception e)
            {
                // A bug of ours, not the configuration's: the reason says so, and the trial runs again like an interrupted one.
                _log.Error(e, "Trial {Trial} could not be supervised", trial.Number);
                var reason = new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"the coordinator failed: {e.GetType().Name}: {e.Message}" };
                if (await _storage.FailTrialAsync(trial.Id, reason, Retries.Rule(_settings.MaxRetries)) is { } failed)
                    Retries.Log(failed, _log);
            }
            finally { _supervised.TryRemove(trial.Id, out _); }
        }
    }

    // The first failing write released the storage's reserve, so this one normally fits; when it still does not,
    // the trial stays RUNNING for the next run's orphan sweep, and the study has already been stopped.
    private async Task FailAfterFullDiskAsync(TrialSnapshot trial, Exception cause)
    {
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            try
            {
                var reason = new Dictionary<string, object?> { [StudyAttributes.FailReason] = $"disk full: {(cause as StorageFullException)?.Message ?? cause.Message}" };
                if (await _storage.FailTrialAsync(trial.Id, reason, retry: null) is not null)
                    _log.Warning("Trial {Trial} failed: disk full", trial.Number);
                return;
            }
            catch (TrialNotRunningException) { return; } // already finished by another process
            catch (Exception e) when (DiskReserve.IsDiskFull(e) && attempt == 1) { }
            catch (Exception e) when (DiskReserve.IsDiskFull(e))
            {
                _log.Error("Trial {Trial} could not be recorded FAIL: {Error}", trial.Number, e.Message);
            }
        }
    }

    private static async Task WaitAnyAsync(List<Task> running, TimeSpan poll, CancellationToken ct)
    {
        var delay = Task.Delay(poll, ct);
        await Task.WhenAny(running.Append(delay));
    }
}
