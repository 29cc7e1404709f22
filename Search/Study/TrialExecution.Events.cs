using System.Diagnostics;
using Mnist.Protocol.Events;
using Mnist.Search.Scheduling;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;

namespace Mnist.Search.Study;

/// <summary>The worker's start and its events while one trial runs: epochs recorded, the pruner asked, a prune the worker ignores stopped.</summary>
internal sealed partial class TrialExecution
{
    /// <summary>What one supervised run has seen so far; the event handlers and the exit interpretation share it.</summary>
    private sealed class Supervision(
        TrialSnapshot trial, DeviceSlot device, WorkerStartInfo start, TrialProgress progress, int studyId, Stopwatch clock,
        CancellationToken interrupt, CancellationTokenSource timeout, CancellationTokenSource stop, CancellationTokenSource wrapUp)
    {
        public TrialSnapshot Trial { get; } = trial;
        public DeviceSlot Device { get; } = device;
        public WorkerStartInfo Start { get; } = start;
        public TrialProgress Progress { get; } = progress;
        public int StudyId { get; } = studyId;
        public Stopwatch Clock { get; } = clock;
        public CancellationToken Interrupt { get; } = interrupt;
        public CancellationTokenSource Timeout { get; } = timeout;
        public CancellationTokenSource Stop { get; } = stop;
        public CancellationTokenSource WrapUp { get; } = wrapUp;
        public bool Prunable { get; init; }

        // The first protocol problem: after it nothing more the worker says is believed.
        public string? Problem;
        public double Last = double.NaN;
        // The last believed epoch, and the epoch the worker then planned to stop after.
        public int LastEpoch;
        public int LastPlanned;
        // The epoch at which `prune` was sent, and whether the worker then reported epochs beyond the next one: it did not
        // stop, so it is stopped, and nothing more it says is believed (the trial is PRUNED at the epoch after the prune).
        public int? PrunedAt;
        public bool IgnoredPrune;
        // When `prune` was written, and the last epoch the worker may report after it: the one it was in when it could read
        // the line. Lines it printed before that wait in the worker's queue while this writes to storage; read before the
        // prune was sent (IWorkerProcess.LastLineReadAt), they show it was further on (a worker faster than the
        // coordinator's storage writes and pruner reads was told it "did not stop" and lost epochs it had finished before
        // the prune was even sent; a grace of a second instead let a worker with short epochs ignore the prune).
        public long PruneSent;
        public int MayReportThrough;
        // Whether the worker printed anything: a program that could not be executed prints nothing.
        public bool Printed;
    }

    private async Task StartedAsync(Supervision state, IWorkerProcess process)
    {
        var trial = state.Trial;
        try
        {
            await WriteAsync(state.Progress, () => storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.WorkerPid, process.ProcessId));
            // With its start time, so that a later run can tell this worker from a process that reuses its pid (OrphanedWorker).
            if (ProcessIdentity.InstanceOf(process.ProcessId) is { } instance)
                await WriteAsync(state.Progress, () => storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.WorkerInstance, instance));
        }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            log.Warning("The database failed while recording the worker of trial {Trial} ({Error}); the trial goes on", trial.Number, e.Message);
        }
        log.Information("Trial {Trial} started on {Device} (pid {Pid})", trial.Number, state.Device.Id, process.ProcessId);
        observer.TrialStarted(trial, state.Device);
    }

    private async Task OnEventAsync(Supervision state, WorkerEvent line, IWorkerProcess process)
    {
        var trial = state.Trial;
        var progress = state.Progress;
        state.Printed = true;
        if (state.Problem is not null || state.IgnoredPrune) return;
        if (line is WorkerEvent.Malformed m)
        {
            state.Problem = $"the worker broke the protocol on stdout: {WorkerText.Sanitize(m.Reason, 300)}";
            process.Kill();
            return;
        }
        if (line is WorkerEvent.Start { OneDnnRefused: { } refused })
            log.Warning("Trial {Trial}: the worker was asked for oneDNN but trains on libtorch's own kernels: {Reason}",
                trial.Number, WorkerText.Sanitize(refused, 300));
        if (line is not WorkerEvent.Epoch e) return;
        if (await IgnoredPruneAsync(state, e, process)) return;
        var value = e.Field(settings.Metric);
        if (EpochProblem(e, state.LastEpoch) is { } bad)
        {
            state.Problem = bad;
            process.Kill();
            return;
        }
        progress.Epochs.Add(EpochRecord(e));
        progress.Values[e.Number] = value;
        state.Last = value;
        state.LastEpoch = e.Number;
        state.LastPlanned = LastEpoch(e);
        var recorded = await TryRecordEpochsAsync(trial, progress);
        observer.EpochReported(trial, e.Number, value);
        if (recorded && state.Prunable && !double.IsNaN(value) && pruner.RungAt(trial.Number, e.Number) is { } rung)
            await RecordRungAsync(trial, progress, rung, value);
        if (recorded) await PruneIfDueAsync(state, e, value, process);
    }

    /// <summary>
    /// The prune is read at the worker's next batch; the epoch it was in (the one after the judged one) may end, no
    /// later one. A worker that ran on was recorded COMPLETE: the pruner saved nothing, and the samplers saw a full
    /// run of a configuration it had judged poor. True when <paramref name="e"/> shows it ran on: it is stopped then.
    /// </summary>
    private async Task<bool> IgnoredPruneAsync(Supervision state, WorkerEvent.Epoch e, IWorkerProcess process)
    {
        if (state.PrunedAt is not { } judged) return false;
        if (process.LastLineReadAt < state.PruneSent) state.MayReportThrough = Math.Max(state.MayReportThrough, e.Number + 1);
        else if (e.Number > state.MayReportThrough)
        {
            state.IgnoredPrune = true;
            log.Warning("Trial {Trial} reported epoch {Epoch} {Seconds:0.00} s after `prune` was sent at epoch {Judged}: it is stopped (its process group " +
                "killed after {Grace} s) and recorded PRUNED at epoch {Last}", state.Trial.Number, e.Number, Stopwatch.GetElapsedTime(state.PruneSent).TotalSeconds,
                judged, WorkerRunner.ResultGrace.TotalSeconds, state.LastEpoch);
            await state.WrapUp.CancelAsync();
            return true;
        }
        return false;
    }

    /// <summary>Asks the pruner about a recorded epoch and sends the worker <c>prune</c> when it says so.</summary>
    private async Task PruneIfDueAsync(Supervision state, WorkerEvent.Epoch e, double value, IWorkerProcess process)
    {
        // Reading the whole study per epoch is only worth it when a pruner will look at it. The worker's last planned
        // epoch ends the trial COMPLETE whatever a pruner says (it ignores a late prune), so the pruner is not asked
        // there: the default study logged 'pruned at epoch 3' for 11 of its 19 COMPLETE trials.
        if (!state.Prunable || state.PrunedAt is not null || state.Progress.Lost || e.Number >= LastEpoch(e) || !await ShouldPruneAsync(state.Trial, state.StudyId))
            return;
        log.Information("Trial {Trial} pruned at epoch {Epoch} ({Metric} {Value:F4})", state.Trial.Number, e.Number, settings.Metric, value);
        state.PrunedAt = e.Number;
        state.MayReportThrough = e.Number + 1;
        await process.SendLineAsync(EventNames.PruneCommand);
        // After the write: a line read until then was printed before the worker could read the prune.
        state.PruneSent = Stopwatch.GetTimestamp();
    }
}
