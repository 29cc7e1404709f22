using System.Diagnostics;
using Mnist.Protocol.Events;
using Mnist.Protocol.Outputs;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;

namespace Mnist.Search.Study;

/// <summary>How a supervised worker's end becomes its trial's outcome: its result, its exit code, a stop, a timeout.</summary>
internal sealed partial class TrialExecution
{
    // Recorded as a pruned run that ended at its last believed epoch, with the time it ran. No checkpoint: the worker
    // trained on after that epoch, so a model.bin it left holds other weights than the recorded value's.
    private async Task<Outcome> PrunedWithoutResultAsync(Supervision state)
    {
        state.Progress.Elapsed = state.Clock.Elapsed;
        await StorageOutage.RetryAsync(storage, () => WriteAsync(state.Progress, () => storage.SetTrialUserAttrAsync(state.Trial.Id, StudyAttributes.DurationSeconds, state.Clock.Elapsed.TotalSeconds)),
            log, $"recording the duration of trial {state.Trial.Number}");
        return new Outcome(TrialState.PRUNED, state.Last, null);
    }

    /// <summary>The outcome of a worker that ended (<paramref name="run"/>) without ignoring a prune.</summary>
    private async Task<Outcome> InterpretExitAsync(Supervision state, WorkerOutcome run)
    {
        var result = run.Result;
        var exit = run.ExitCode;
        if (run.KilledAfterResult)
            log.Warning("Trial {Trial}: its worker {Lingered:l}", state.Trial.Number, WorkerOutcome.LingeredWarning);

        if (state.Interrupt.IsCancellationRequested && result is null)
            return new Outcome(TrialState.FAIL, null, "interrupted: the coordinator was stopped", Retry: true, Stopped: true);
        if (state.Timeout.IsCancellationRequested && result is null)
            return new Outcome(TrialState.FAIL, null, $"timed out after {Durations.Format(settings.TrialTimeout)}");
        // The GPU cannot be used by the worker (listed on a machine without CUDA, or a TorchSharp built for the CPU):
        // every trial here would fail alike, and a shared study's whole budget went in seconds. Stopped as a worker
        // that cannot start. On a GPU slot only: a CPU slot has no device to lack, so a custom worker's exit 4 there
        // fails its trial as any other exit does. The Trials worker's 4 on a CPU slot says libtorch does not load here.
        if (result is null && exit == WorkerExitCodes.DeviceUnavailable && !state.Stop.IsCancellationRequested)
        {
            if (state.Device.IsGpu)
                throw new WorkerStartException(
                    $"{state.Device.Id}: {WorkerText.Sanitize(run.Error ?? "the worker cannot use this device")}; run this machine's trials on the CPU " +
                    "(study worker --devices cpu, or \"devices\" in search.json) or with a worker built for its GPUs", started: true);
            if (command.IsTrialsWorker)
                throw new WorkerStartException($"{state.Device.Id}: {WorkerText.Sanitize(run.Error ?? "the worker cannot run on this machine")}", started: true);
        }
        // The worker runs through setsid, which execs it: a program that exists and has its x bit but cannot be executed
        // here (CRLF line endings in its #! line, an interpreter this machine lacks, a noexec mount) shows only as the
        // exec's exit code, 127 (not found) or 126 (not executable), with nothing printed. Every trial here would fail
        // alike (the whole budget went within a second, a shared study's too): stopped as a program that cannot start.
        if (result is null && !state.Printed && ExecFailure.Is(exit) && !state.Stop.IsCancellationRequested)
            throw new WorkerStartException($"cannot start {state.Start.FileName}: exit code {exit}{(ExecFailure.Explain(state.Start.FileName) is { } why ? "; " + why : "")}{StderrTail(state.Start.StderrLogPath)}");
        if ((state.Problem ?? (run.Error is { } error ? WorkerText.Sanitize(error) : null)) is { } reason) return new Outcome(TrialState.FAIL, null, reason);
        // Killed by a signal nobody here sent: a cluster cancelling or preempting the job signals every
        // process in it (issue 14), and the worker may die before this coordinator sees its own SIGTERM.
        // The configuration did not fail, so it runs again (bounded by max_retries, as for a dead process).
        if (result is null && KilledFromOutside(exit) is { } signal)
            return new Outcome(TrialState.FAIL, null, $"worker killed by {signal} (cluster cancel or preemption, OOM killer){StderrTail(state.Start.StderrLogPath)}", Retry: true);
        if (result is null) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit} without a result{StderrTail(state.Start.StderrLogPath)}");
        // A worker this coordinator stopped after its result (a Ctrl+C, a timeout; killed only after
        // WorkerRunner.ResultGrace) finished its trial: the result stands. So does one killed for lingering after
        // it (its exit code is then 0).
        if (exit != 0 && !state.Stop.IsCancellationRequested) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit}{StderrTail(state.Start.StderrLogPath)}");

        state.Progress.Result = result;
        state.Progress.Elapsed = state.Clock.Elapsed;
        await StorageOutage.RetryAsync(storage, () => WriteAsync(state.Progress, () => RecordResultAttributesAsync(state.Trial.Id, result, state.Clock.Elapsed)),
            log, $"recording the result of trial {state.Trial.Number}");
        var final = result.Field(settings.Metric);
        // A worker faster than a storage write reported epochs past the judged one before it could read the prune: they
        // were believed and recorded, so the trial is PRUNED with later epochs (up to its full fidelity) and its log said
        // "pruned at epoch 1" beside a last epoch's value (audit-analysis 11).
        if (state.PrunedAt is { } judged && state.LastEpoch > judged)
            log.Information("Trial {Trial} was pruned at epoch {Epoch}; it had already reported epochs {From}-{To} before it read the prune, recorded " +
                "(user_attrs['fidelity'] says how far it trained)", state.Trial.Number, judged, judged + 1, state.LastEpoch);
        return result.State switch
        {
            EventFields.Pruned => new Outcome(TrialState.PRUNED, double.IsNaN(state.Last) ? null : state.Last, null),
            // Once pruned, a trial completes only when the worker was already in its last planned epoch when it could read
            // the prune (too late to stop it: docs/worker-protocol.md); otherwise it stopped because of the prune, whatever
            // it says.
            EventFields.Complete when state.PrunedAt is not null && !(state.LastEpoch <= state.MayReportThrough && state.LastEpoch >= state.LastPlanned) =>
                new Outcome(TrialState.PRUNED, state.Last, null),
            EventFields.Complete when double.IsFinite(final) && MetricProblem(final) is { } bad => new Outcome(TrialState.FAIL, null, $"result: {bad}"),
            // The value is the last epoch's, and a complete run reached the epochs it planned (the study's, or fewer
            // when max_seconds cut them: epochs_planned). A `complete` with no epoch, or after fewer, was believed: a
            // result's own 0.99 without any epoch became the study's best and its retrain target.
            EventFields.Complete when state.LastEpoch < state.LastPlanned =>
                new Outcome(TrialState.FAIL, null, $"result complete after {state.LastEpoch} of {state.LastPlanned} epochs{(state.LastEpoch == 0 ? $" (no {EventNames.Epoch} event with its {settings.Metric})" : "")}"),
            EventFields.Complete => new Outcome(TrialState.COMPLETE, state.Last, null),
            _ => new Outcome(TrialState.FAIL, null, $"unknown result state '{WorkerText.Sanitize(result.State, 40)}'"),
        };
    }
}
