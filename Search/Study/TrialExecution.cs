using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Protocol.Outputs;
using Mnist.Search.Pruning;
using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// Runs one RUNNING trial to its end on one device: writes its spec, starts the worker, streams its
/// epochs into storage, asks the pruner after each, keeps the heartbeat, enforces the trial timeout and
/// records the outcome. Every way a worker can end (result, error line, crash, NaN, timeout, interruption,
/// output that breaks the protocol) leaves the trial finished in storage.
/// </summary>
internal sealed partial class TrialExecution(
    StudySettings settings,
    IStudyStorage storage,
    IPruner pruner,
    IWorkerLauncher launcher,
    TrialCommand command,
    IStudyObserver observer,
    ILogger log)
{
    /// <summary>Why a trial ended, when it did not end with a result line.</summary>
    private sealed record Outcome(TrialState State, double? Value, string? FailReason, bool Retry = false, bool Stopped = false);

    public async Task<TrialSnapshot> RunAsync(TrialSnapshot trial, DeviceSlot device, int studyId, CancellationToken interrupt)
    {
        var dir = Path.Combine(settings.StudyDirectory, StudyFolder.TrialsFolder, trial.Number.ToString(CultureInfo.InvariantCulture));
        var specPath = settings.SpecFor(trial, settings.Epochs, settings.Seed + trial.Number, device, dir)
            .Write(Path.Combine(dir, ArtifactNames.Spec));
        var start = command.ToStartInfo(specPath, dir, device, trial.Number, settings.Data.Directory);

        var progress = new TrialProgress(trial);
        // Before the worker starts, a database that went down just as the trial was claimed is waited for: these writes
        // failing ended the trial as "the coordinator failed" and ran it again.
        await StorageOutage.RetryAsync(storage, async () =>
        {
            await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.Device, device.Id);
            await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.TrialDirectory, dir);
            await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.StdoutLog, start.StdoutLogPath);
            await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.StderrLog, start.StderrLogPath);
        }, log, $"starting trial {trial.Number}");

        Outcome outcome;
        try
        {
            outcome = await SuperviseAsync(trial, device, start, progress, studyId, interrupt);
        }
        catch (WorkerStartException e)
        {
            // Not this configuration's fault, and every later trial here would fail the same way: the trial is queued
            // again and the error goes on to stop the study (before, a missing program burned the whole budget). Queued
            // as after a stop, spending none of its retries: a machine restarted in a loop (a Kubernetes pod on a node
            // without CUDA) lost one configuration for every three starts.
            var reason = e.Started ? "the worker cannot run here" : "worker did not start";
            await FinishAsync(trial, studyId, new Outcome(TrialState.FAIL, null, $"{reason}: {WorkerText.Sanitize(e.Message)}", Retry: true, Stopped: true), progress);
            throw;
        }
        RemovePartialFiles(dir);
        // Epochs that came while the database was down are written before the outcome, which is waited for the same way.
        await StorageOutage.RetryAsync(storage, () => RecordEpochsAsync(trial.Id, progress), log, $"recording the epochs of trial {trial.Number}");
        return await FinishAsync(trial, studyId, outcome, progress);
    }

    // A worker stopped or killed while it wrote its checkpoint (Ctrl+C, a prune past its grace, a timeout, SIGKILL)
    // left the half-written file (79 MB seen) in the trial's folder for ever; the worker has ended by now.
    private void RemovePartialFiles(string dir)
    {
        foreach (var name in ArtifactNames.WrittenWhole)
        {
            try { File.Delete(Path.Combine(dir, ArtifactNames.Partial(name))); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("Trial folder {Folder}: cannot remove {File}: {Error}", dir, ArtifactNames.Partial(name), e.Message);
            }
        }
    }

    private async Task<Outcome> SuperviseAsync(
        TrialSnapshot trial, DeviceSlot device, WorkerStartInfo start, TrialProgress progress, int studyId, CancellationToken interrupt)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(settings.TrialTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, interrupt);
        using var heartbeatStop = new CancellationTokenSource();
        progress.StopWorker = stop.Cancel;
        var heartbeat = HeartbeatAsync(trial.Id, progress, heartbeatStop.Token);
        using var wrapUp = new CancellationTokenSource();
        var state = new Supervision(trial, device, start, progress, studyId, clock, interrupt, timeout, stop, wrapUp)
        {
            LastPlanned = settings.Epochs,
            // A repeated evaluation must finish: it is there to measure a candidate's full-fidelity value again.
            Prunable = pruner is not NopPruner && BestTrial.RepeatOf(trial) is null,
        };

        try
        {
            WorkerOutcome run;
            try
            {
                run = await new WorkerRunner(launcher).RunAsync(start, stop.Token, process => StartedAsync(state, process),
                    (line, process) => OnEventAsync(state, line, process), wrapUp.Token);
            }
            catch (WorkerOutputException e)
            {
                return state.IgnoredPrune ? await PrunedWithoutResultAsync(state) : new Outcome(TrialState.FAIL, null, e.Message);
            }
            if (state.IgnoredPrune) return await PrunedWithoutResultAsync(state);
            return await InterpretExitAsync(state, run);
        }
        finally
        {
            // `stop` is disposed with this method: a foreign finish found by a later write (epochs kept through an outage)
            // threw ObjectDisposedException from its Cancel.
            progress.StopWorker = null;
            await heartbeatStop.CancelAsync();
            await heartbeat;
        }
    }

    // Optuna's SuccessiveHalvingPruner (and HyperbandPruner) in another client reads rivals only from this attribute, so
    // without it a Python trial was judged against nothing and always promoted. Written at the rung's epoch whatever our
    // pruner decides (Optuna writes it before deciding), the last epoch too. An outage costs the attribute, not the trial.
    private async Task RecordRungAsync(TrialSnapshot trial, TrialProgress progress, int rung, double value)
    {
        try { await WriteAsync(progress, () => storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.CompletedRung(rung), value)); }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            log.Warning("Trial {Trial}: its value at rung {Rung} was not recorded for Optuna's pruners ({Error})", trial.Number, rung, e.Message);
        }
    }

    /// <summary>The epoch the worker will stop after: the study's epochs, or fewer when the worker planned fewer to fit its time.</summary>
    private int LastEpoch(WorkerEvent.Epoch e) => Math.Min(settings.Epochs, e.PlannedEpochs(settings.Epochs));

    private async Task<bool> ShouldPruneAsync(TrialSnapshot trial, int studyId)
    {
        IReadOnlyList<TrialSnapshot> trials;
        try { trials = await storage.GetAllTrialsAsync(studyId); }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            log.Warning("The database failed while asking the pruner about trial {Trial} ({Error}); it goes on", trial.Number, e.Message);
            return false;
        }
        var me = trials.First(t => t.Id == trial.Id);
        // A FAIL that was queued again (its process died) is represented by its retry, as in the budget: kept as a
        // competitor, it judged the retry (same configuration, another training seed) against its own interrupted first
        // run, so after a Ctrl+C and a rerun the retry was pruned at the first rung where its seed scored lower, and a
        // study of retries could end with every trial PRUNED and no model.
        var retried = Budget.Retried(trials);
        return pruner.ShouldPrune(me, [.. trials.Where(t => !(t.State == TrialState.FAIL && retried.Contains(t.Number)))], settings.Direction);
    }

    /// <summary>
    /// Writes the epochs not yet in storage; false, with the epochs kept for the next try, while the database is down.
    /// A database down for longer than the storage's own retries (about 10 s) at an epoch's end ended the trial's
    /// supervision: its finished result and epochs were dropped, and the trial was failed as dead and run again.
    /// </summary>
    private async Task<bool> TryRecordEpochsAsync(TrialSnapshot trial, TrialProgress progress)
    {
        try
        {
            await RecordEpochsAsync(trial.Id, progress);
            return true;
        }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            log.Warning("The database failed while recording epoch {Epoch} of trial {Trial} ({Error}); the epoch is kept and recorded once it is back",
                progress.Values.Keys.Last(), trial.Number, e.Message);
            return false;
        }
    }

    /// <summary>How far the trial trained (<see cref="WriteTrainedSoFarAsync"/>) and each unwritten epoch's value.</summary>
    private async Task RecordEpochsAsync(long trialId, TrialProgress progress)
    {
        var pending = progress.Values.Keys.Where(epoch => epoch > progress.RecordedThrough).ToList();
        if (pending.Count == 0) return;
        await WriteTrainedSoFarAsync(trialId, progress, write => WriteAsync(progress, write));
        foreach (var epoch in pending)
        {
            await WriteAsync(progress, () => storage.ReportIntermediateValueAsync(trialId, epoch, progress.Values[epoch]));
            progress.RecordedThrough = epoch;
        }
    }

    /// <summary>
    /// The attributes that say how far a trial trained: the epochs (whole) and the fidelity of its last epoch (README:
    /// <c>user_attrs["fidelity"]</c>). Their one writer, for a trial's own epochs and for the stand-in that holds a late
    /// result (which had the epochs and no fidelity); each write goes through <paramref name="write"/>.
    /// </summary>
    private async Task WriteTrainedSoFarAsync(long trialId, TrialProgress progress, Func<Func<Task>, Task> write)
    {
        await write(() => storage.SetTrialUserAttrAsync(trialId, StudyAttributes.Epochs, progress.Epochs));
        if (progress.Values.Count > 0)
            await write(() => storage.SetTrialUserAttrAsync(trialId, StudyAttributes.Fidelity, settings.FidelityAt(progress.Values.Keys.Max())));
    }

    private async Task RecordResultAttributesAsync(long trialId, WorkerEvent.Result result, TimeSpan elapsed)
    {
        // A path longer than any file system allows is not a checkpoint; it is not stored either.
        if (result.Text(EventFields.Checkpoint) is { Length: <= 4096 } checkpoint)
            await storage.SetTrialUserAttrAsync(trialId, StudyAttributes.Checkpoint, WorkerText.Sanitize(checkpoint, 4096));
        var duration = result.Field(EventFields.DurationSeconds);
        await storage.SetTrialUserAttrAsync(trialId, StudyAttributes.DurationSeconds, double.IsFinite(duration) && duration >= 0 ? duration : elapsed.TotalSeconds);
    }

    private async Task<TrialSnapshot> FinishAsync(TrialSnapshot trial, int studyId, Outcome outcome, TrialProgress progress)
    {
        // A FAIL is written with its reason and, when it is to run again, its retry, in one transaction.
        FailedTrial? failed = null;
        // The outcome is in memory; a database that is down at this moment is waited for, not allowed to drop it.
        var finished = !progress.Lost && await StorageOutage.RetryAsync(storage, async () => outcome.State == TrialState.FAIL
            ? (failed = await storage.FailTrialAsync(trial.Id, new Dictionary<string, object?> { [StudyAttributes.FailReason] = outcome.FailReason },
                outcome.Stopped ? Retries.AfterStop() : outcome.Retry ? Retries.Rule(settings.MaxRetries) : null)) is not null
            : await storage.FinishTrialAsync(trial.Id, outcome.State, outcome.Value), log, $"recording trial {trial.Number}");
        var stored = await StorageOutage.RetryAsync(storage, () => storage.GetTrialAsync(trial.Id), log, $"reading trial {trial.Number}");
        if (!finished && !FailedByThisTool(stored))
        {
            if (!progress.FinishedByAnotherClient)
                log.Warning("Trial {Trial} was finished as {State} by another client (not a process of this tool); that stands, " +
                    "and what its worker did is kept only in the trial's folder", trial.Number, stored.State);
            observer.TrialFinished(stored);
            return stored;
        }
        if (!finished)
        {
            // Another process (a heartbeat sweep, while this one was stopped or cut off) finished it first;
            // storage has the final word on this trial, but a finished result is not thrown away.
            log.Warning("Trial {Trial} was already finished as {State} by another process", trial.Number, stored.State);
            if (outcome.State != TrialState.FAIL) await RecordLateResultAsync(stored, studyId, outcome, progress);
            return stored;
        }
        if (outcome.State == TrialState.FAIL)
            log.Warning("Trial {Trial} failed: {Reason}", trial.Number, outcome.FailReason);
        else
            // The state as text: an enum is a JSON string to study.log's {Message:lj}, so the file said "COMPLETE" where the console said COMPLETE.
            log.Information("Trial {Trial} {State}: {Metric} = {Value:F4}", trial.Number, outcome.State.ToString(), settings.Metric, outcome.Value);
        if (outcome.Retry && failed is not null)
        {
            Retries.Log(failed, log);
            if (failed.Retry is { } retry) observer.TrialQueuedAgain(failed.Trial, retry);
        }
        observer.TrialFinished(stored);
        return stored;
    }

    // A full disk is not ridden out like a lost connection: the worker is stopped and the error rethrown when the
    // supervision awaits this task, so the trial is recorded FAIL and the study stops (issue 11).
    private async Task HeartbeatAsync(long trialId, TrialProgress progress, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(settings.HeartbeatInterval);
        try
        {
            while (!progress.Lost && await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await WriteAsync(progress, () => storage.RecordHeartbeatAsync(trialId, ct));
                    StorageOutageWindow.Of(storage).Answered(log);
                }
                catch (Exception e) when (DiskReserve.IsDiskFull(e))
                {
                    progress.StopWorker?.Invoke();
                    throw;
                }
                // Its row is gone (another client deleted the study): the supervision and the loop say so, once.
                catch (RowNotFoundException) { return; }
                // An outage is said by its window, once (it was said at every beat of every trial).
                catch (Exception e) when (StorageOutage.Is(e)) { StorageOutageWindow.Of(storage).Failed(e, log); }
                catch (Exception e) when (e is not OperationCanceledException) { log.Warning(e, "Heartbeat of trial {Trial} failed", progress.Trial.Number); }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Runs a write about this trial unless another process has finished it; the first write that finds it
    /// finished (storage refuses changes to finished trials) marks it lost instead of ending supervision.
    /// </summary>
    private async Task WriteAsync(TrialProgress progress, Func<Task> write)
    {
        if (progress.Lost) return;
        try { await write(); }
        catch (TrialNotRunningException e)
        {
            progress.Lost = true;
            var stored = await StorageOutage.RetryAsync(storage, () => storage.GetTrialAsync(progress.Trial.Id), log, $"reading trial {progress.Trial.Number}");
            if (FailedByThisTool(stored))
            {
                log.Warning("Trial {Trial} was finished by another process while this one still ran it ({Reason}); its output is kept for its retry",
                    progress.Trial.Number, e.Message);
                return;
            }
            // Told by another client (Optuna's tell with FAIL aborts a trial): the worker ran on to its end, holding its
            // slot, and its result came back as a new COMPLETE trial that could become the best and be retrained.
            progress.FinishedByAnotherClient = true;
            log.Warning("Trial {Trial} was finished as {State} by another client (not a process of this tool) while this process ran it; " +
                "that stands, its worker is stopped, and what it did is kept only in the trial's folder", progress.Trial.Number, stored.State);
            progress.StopWorker?.Invoke();
        }
    }

    /// <summary>
    /// A trial a process of this tool finished while another still ran it: failed by a heartbeat or orphan sweep, which
    /// writes its reason in the failing transaction. Anything else was told by another client (Optuna), and stands.
    /// </summary>
    private static bool FailedByThisTool(TrialSnapshot stored) =>
        stored.State == TrialState.FAIL && stored.SystemAttrs.ContainsKey(StudyAttributes.FailReason);

    // The last lines of stderr say why a worker died; the full log stays in the trial folder. Only its end is
    // read: a worker may have written gigabytes there.
    private static string StderrTail(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            file.Seek(-Math.Min(file.Length, 8192), SeekOrigin.End);
            var text = new StreamReader(file).ReadToEnd();
            var lines = text.Split('\n').Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(3).ToList();
            return lines.Count == 0 ? "" : ": " + WorkerText.Sanitize(string.Join(" | ", lines.Select(l => l.Trim())), 1000);
        }
        catch (IOException) { return ""; }
    }

    // .NET reports a child ended by signal N as exit code 128 + N.
    private static string? KilledFromOutside(int exit) => exit switch
    {
        128 + 15 => "SIGTERM",
        128 + 9 => "SIGKILL",
        _ => null,
    };
}
