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

        // The first protocol problem: after it nothing more the worker says is believed.
        string? problem = null;
        double last = double.NaN;
        // The last believed epoch, and the epoch the worker then planned to stop after.
        var lastEpoch = 0;
        var lastPlanned = settings.Epochs;
        // The epoch at which `prune` was sent, and whether the worker then reported epochs beyond the next one: it did not
        // stop, so it is stopped, and nothing more it says is believed (the trial is PRUNED at the epoch after the prune).
        int? prunedAt = null;
        var ignoredPrune = false;
        // When `prune` was written, and the last epoch the worker may report after it: the one it was in when it could read
        // the line. Lines it printed before that wait in the worker's queue while this writes to storage; read before the
        // prune was sent (IWorkerProcess.LastLineReadAt), they show it was further on (a worker faster than the
        // coordinator's storage writes and pruner reads was told it "did not stop" and lost epochs it had finished before
        // the prune was even sent; a grace of a second instead let a worker with short epochs ignore the prune).
        var pruneSent = 0L;
        var mayReportThrough = 0;
        using var wrapUp = new CancellationTokenSource();
        // A repeated evaluation must finish: it is there to measure a candidate's full-fidelity value again.
        var prunable = pruner is not NopPruner && BestTrial.RepeatOf(trial) is null;
        async Task Started(IWorkerProcess process)
        {
            try
            {
                await WriteAsync(progress, () => storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.WorkerPid, process.ProcessId));
                // With its start time, so that a later run can tell this worker from a process that reuses its pid (OrphanedWorker).
                if (ProcessIdentity.InstanceOf(process.ProcessId) is { } instance)
                    await WriteAsync(progress, () => storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.WorkerInstance, instance));
            }
            catch (Exception e) when (StorageOutage.Is(e))
            {
                log.Warning("The database failed while recording the worker of trial {Trial} ({Error}); the trial goes on", trial.Number, e.Message);
            }
            log.Information("Trial {Trial} started on {Device} (pid {Pid})", trial.Number, device.Id, process.ProcessId);
            observer.TrialStarted(trial, device);
        }
        // Whether the worker printed anything: a program that could not be executed prints nothing.
        var printed = false;
        async Task OnEvent(WorkerEvent line, IWorkerProcess process)
        {
            printed = true;
            if (problem is not null || ignoredPrune) return;
            if (line is WorkerEvent.Malformed m)
            {
                problem = $"the worker broke the protocol on stdout: {WorkerText.Sanitize(m.Reason, 300)}";
                process.Kill();
                return;
            }
            if (line is WorkerEvent.Start { OneDnnRefused: { } refused })
                log.Warning("Trial {Trial}: the worker was asked for oneDNN but trains on libtorch's own kernels: {Reason}",
                    trial.Number, WorkerText.Sanitize(refused, 300));
            if (line is not WorkerEvent.Epoch e) return;
            // The prune is read at the worker's next batch; the epoch it was in (the one after the judged one) may end, no
            // later one. A worker that ran on was recorded COMPLETE: the pruner saved nothing, and the samplers saw a full
            // run of a configuration it had judged poor.
            if (prunedAt is { } judged)
            {
                if (process.LastLineReadAt < pruneSent) mayReportThrough = Math.Max(mayReportThrough, e.Number + 1);
                else if (e.Number > mayReportThrough)
                {
                    ignoredPrune = true;
                    log.Warning("Trial {Trial} reported epoch {Epoch} {Seconds:0.00} s after `prune` was sent at epoch {Judged}: it is stopped (its process group " +
                        "killed after {Grace} s) and recorded PRUNED at epoch {Last}", trial.Number, e.Number, Stopwatch.GetElapsedTime(pruneSent).TotalSeconds,
                        judged, WorkerRunner.ResultGrace.TotalSeconds, lastEpoch);
                    await wrapUp.CancelAsync();
                    return;
                }
            }
            var value = e.Field(settings.Metric);
            if (EpochProblem(e, lastEpoch) is { } bad)
            {
                problem = bad;
                process.Kill();
                return;
            }
            progress.Epochs.Add(EpochRecord(e));
            progress.Values[e.Number] = value;
            last = value;
            lastEpoch = e.Number;
            lastPlanned = LastEpoch(e);
            var recorded = await TryRecordEpochsAsync(trial, progress);
            observer.EpochReported(trial, e.Number, value);
            if (recorded && prunable && !double.IsNaN(value) && pruner.RungAt(trial.Number, e.Number) is { } rung)
                await RecordRungAsync(trial, progress, rung, value);
            // Reading the whole study per epoch is only worth it when a pruner will look at it. The worker's last planned
            // epoch ends the trial COMPLETE whatever a pruner says (it ignores a late prune), so the pruner is not asked
            // there: the default study logged 'pruned at epoch 3' for 11 of its 19 COMPLETE trials.
            if (recorded && prunable && prunedAt is null && !progress.Lost && e.Number < LastEpoch(e) && await ShouldPruneAsync(trial, studyId))
            {
                log.Information("Trial {Trial} pruned at epoch {Epoch} ({Metric} {Value:F4})", trial.Number, e.Number, settings.Metric, value);
                prunedAt = e.Number;
                mayReportThrough = e.Number + 1;
                await process.SendLineAsync(EventNames.PruneCommand);
                // After the write: a line read until then was printed before the worker could read the prune.
                pruneSent = Stopwatch.GetTimestamp();
            }
        }

        // Recorded as a pruned run that ended at its last believed epoch, with the time it ran. No checkpoint: the worker
        // trained on after that epoch, so a model.bin it left holds other weights than the recorded value's.
        async Task<Outcome> PrunedWithoutResultAsync()
        {
            progress.Elapsed = clock.Elapsed;
            await StorageOutage.RetryAsync(storage, () => WriteAsync(progress, () => storage.SetTrialUserAttrAsync(trial.Id, StudyAttributes.DurationSeconds, clock.Elapsed.TotalSeconds)),
                log, $"recording the duration of trial {trial.Number}");
            return new Outcome(TrialState.PRUNED, last, null);
        }

        try
        {
            WorkerOutcome run;
            try
            {
                run = await new WorkerRunner(launcher).RunAsync(start, stop.Token, Started, OnEvent, wrapUp.Token);
            }
            catch (WorkerOutputException e)
            {
                return ignoredPrune ? await PrunedWithoutResultAsync() : new Outcome(TrialState.FAIL, null, e.Message);
            }
            if (ignoredPrune) return await PrunedWithoutResultAsync();
            var result = run.Result;
            var exit = run.ExitCode;
            if (run.KilledAfterResult)
                log.Warning("Trial {Trial}: its worker {Lingered:l}", trial.Number, WorkerOutcome.LingeredWarning);

            if (interrupt.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, "interrupted: the coordinator was stopped", Retry: true, Stopped: true);
            if (timeout.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, $"timed out after {Durations.Format(settings.TrialTimeout)}");
            // The GPU cannot be used by the worker (listed on a machine without CUDA, or a TorchSharp built for the CPU):
            // every trial here would fail alike, and a shared study's whole budget went in seconds. Stopped as a worker
            // that cannot start. On a GPU slot only: a CPU slot has no device to lack, so a custom worker's exit 4 there
            // fails its trial as any other exit does. The Trials worker's 4 on a CPU slot says libtorch does not load here.
            if (result is null && exit == WorkerExitCodes.DeviceUnavailable && !stop.IsCancellationRequested)
            {
                if (device.IsGpu)
                    throw new WorkerStartException(
                        $"{device.Id}: {WorkerText.Sanitize(run.Error ?? "the worker cannot use this device")}; run this machine's trials on the CPU " +
                        "(study worker --devices cpu, or \"devices\" in search.json) or with a worker built for its GPUs", started: true);
                if (command.IsTrialsWorker)
                    throw new WorkerStartException($"{device.Id}: {WorkerText.Sanitize(run.Error ?? "the worker cannot run on this machine")}", started: true);
            }
            // The worker runs through setsid, which execs it: a program that exists and has its x bit but cannot be executed
            // here (CRLF line endings in its #! line, an interpreter this machine lacks, a noexec mount) shows only as the
            // exec's exit code, 127 (not found) or 126 (not executable), with nothing printed. Every trial here would fail
            // alike (the whole budget went within a second, a shared study's too): stopped as a program that cannot start.
            if (result is null && !printed && ExecFailure.Is(exit) && !stop.IsCancellationRequested)
                throw new WorkerStartException($"cannot start {start.FileName}: exit code {exit}{(ExecFailure.Explain(start.FileName) is { } why ? "; " + why : "")}{StderrTail(start.StderrLogPath)}");
            if ((problem ?? (run.Error is { } error ? WorkerText.Sanitize(error) : null)) is { } reason) return new Outcome(TrialState.FAIL, null, reason);
            // Killed by a signal nobody here sent: a cluster cancelling or preempting the job signals every
            // process in it (issue 14), and the worker may die before this coordinator sees its own SIGTERM.
            // The configuration did not fail, so it runs again (bounded by max_retries, as for a dead process).
            if (result is null && KilledFromOutside(exit) is { } signal)
                return new Outcome(TrialState.FAIL, null, $"worker killed by {signal} (cluster cancel or preemption, OOM killer){StderrTail(start.StderrLogPath)}", Retry: true);
            if (result is null) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit} without a result{StderrTail(start.StderrLogPath)}");
            // A worker this coordinator stopped after its result (a Ctrl+C, a timeout; killed only after
            // WorkerRunner.ResultGrace) finished its trial: the result stands. So does one killed for lingering after
            // it (its exit code is then 0).
            if (exit != 0 && !stop.IsCancellationRequested) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit}{StderrTail(start.StderrLogPath)}");

            progress.Result = result;
            progress.Elapsed = clock.Elapsed;
            await StorageOutage.RetryAsync(storage, () => WriteAsync(progress, () => RecordResultAttributesAsync(trial.Id, result, clock.Elapsed)),
                log, $"recording the result of trial {trial.Number}");
            var final = result.Field(settings.Metric);
            // A worker faster than a storage write reported epochs past the judged one before it could read the prune: they
            // were believed and recorded, so the trial is PRUNED with later epochs (up to its full fidelity) and its log said
            // "pruned at epoch 1" beside a last epoch's value (audit-analysis 11).
            if (prunedAt is { } judged && lastEpoch > judged)
                log.Information("Trial {Trial} was pruned at epoch {Epoch}; it had already reported epochs {From}-{To} before it read the prune, recorded " +
                    "(user_attrs['fidelity'] says how far it trained)", trial.Number, judged, judged + 1, lastEpoch);
            return result.State switch
            {
                EventFields.Pruned => new Outcome(TrialState.PRUNED, double.IsNaN(last) ? null : last, null),
                // Once pruned, a trial completes only when the worker was already in its last planned epoch when it could read
                // the prune (too late to stop it: docs/worker-protocol.md); otherwise it stopped because of the prune, whatever
                // it says.
                EventFields.Complete when prunedAt is not null && !(lastEpoch <= mayReportThrough && lastEpoch >= lastPlanned) =>
                    new Outcome(TrialState.PRUNED, last, null),
                EventFields.Complete when double.IsFinite(final) && MetricProblem(final) is { } bad => new Outcome(TrialState.FAIL, null, $"result: {bad}"),
                // The value is the last epoch's, and a complete run reached the epochs it planned (the study's, or fewer
                // when max_seconds cut them: epochs_planned). A `complete` with no epoch, or after fewer, was believed: a
                // result's own 0.99 without any epoch became the study's best and its retrain target.
                EventFields.Complete when lastEpoch < lastPlanned =>
                    new Outcome(TrialState.FAIL, null, $"result complete after {lastEpoch} of {lastPlanned} epochs{(lastEpoch == 0 ? $" (no {EventNames.Epoch} event with its {settings.Metric})" : "")}"),
                EventFields.Complete => new Outcome(TrialState.COMPLETE, last, null),
                _ => new Outcome(TrialState.FAIL, null, $"unknown result state '{WorkerText.Sanitize(result.State, 40)}'"),
            };
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
