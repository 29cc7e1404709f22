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
/// records the outcome. Every way a worker can end (result, error line, crash, NaN, timeout, interruption)
/// leaves the trial finished in storage.
/// </summary>
internal sealed class TrialExecution(
    StudySettings settings,
    IStudyStorage storage,
    IPruner pruner,
    IWorkerLauncher launcher,
    TrialCommand command,
    IStudyObserver observer,
    ILogger log)
{
    /// <summary>Why a trial ended, when it did not end with a result line.</summary>
    private sealed record Outcome(TrialState State, double? Value, string? FailReason, bool Retry = false);

    public async Task<TrialSnapshot> RunAsync(TrialSnapshot trial, DeviceSlot device, int studyId, CancellationToken interrupt)
    {
        var dir = Path.Combine(settings.StudyDirectory, "trials", trial.Number.ToString(CultureInfo.InvariantCulture));
        var specPath = settings.SpecFor(trial, settings.Epochs, settings.Seed + trial.Number, device, dir)
            .Write(Path.Combine(dir, ArtifactNames.Spec));
        var start = command.ToStartInfo(specPath, dir, device, trial.Number, settings.Data.Directory);

        await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.Device, device.Id);
        await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.TrialDirectory, dir);
        await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.StdoutLog, start.StdoutLogPath);
        await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.StderrLog, start.StderrLogPath);

        Outcome outcome;
        try
        {
            outcome = await SuperviseAsync(trial, device, start, studyId, interrupt);
        }
        catch (WorkerStartException e)
        {
            outcome = new Outcome(TrialState.FAIL, null, $"worker did not start: {e.Message}");
        }
        return await FinishAsync(trial, studyId, outcome);
    }

    private async Task<Outcome> SuperviseAsync(TrialSnapshot trial, DeviceSlot device, WorkerStartInfo start, int studyId, CancellationToken interrupt)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(settings.TrialTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, interrupt);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(trial.Id, stop.Cancel, heartbeatStop.Token);

        var epochs = new JsonArray();
        string? nonFinite = null;
        double last = double.NaN;
        var pruneSent = false;
        async Task Started(IWorkerProcess process)
        {
            await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.WorkerPid, process.ProcessId);
            log.Information("Trial {Trial} started on {Device} (pid {Pid})", trial.Number, device.Id, process.ProcessId);
            observer.TrialStarted(trial, device);
        }
        async Task OnEvent(WorkerEvent line, IWorkerProcess process)
        {
            if (line is not WorkerEvent.Epoch e || nonFinite is not null) return;
            var value = e.Field(settings.Metric);
            epochs.Add(JsonNode.Parse(e.Body.GetRawText()));
            await storage.SetTrialUserAttrAsync(trial.Id, StudyAttributes.Epochs, epochs);
            if (!double.IsFinite(value) || !double.IsFinite(e.Field(EventFields.TrainLoss)))
            {
                nonFinite = $"non-finite {settings.Metric} or {EventFields.TrainLoss} at epoch {e.Number}";
                process.Kill();
                return;
            }
            last = value;
            await storage.ReportIntermediateValueAsync(trial.Id, e.Number, value);
            observer.EpochReported(trial, e.Number, value);
            // Reading the whole study per epoch is only worth it when a pruner will look at it.
            if (!pruneSent && pruner is not NopPruner && await ShouldPruneAsync(trial.Id, studyId))
            {
                log.Information("Trial {Trial} pruned at epoch {Epoch} ({Metric} {Value:F4})", trial.Number, e.Number, settings.Metric, value);
                pruneSent = true;
                await process.SendLineAsync(EventNames.PruneCommand);
            }
        }

        try
        {
            var run = await new WorkerRunner(launcher).RunAsync(start, stop.Token, Started, OnEvent);
            var result = run.Result;
            var exit = run.ExitCode;

            if (interrupt.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, "interrupted: the coordinator was stopped", Retry: true);
            if (timeout.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, $"timed out after {settings.TrialTimeout.TotalMinutes:0.#} min");
            if ((nonFinite ?? run.Error) is { } error) return new Outcome(TrialState.FAIL, null, error);
            if (result is null) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit} without a result{StderrTail(start.StderrLogPath)}");
            if (exit != 0) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit}{StderrTail(start.StderrLogPath)}");

            await RecordResultAttributesAsync(trial.Id, result, clock.Elapsed);
            return result.State switch
            {
                EventFields.Pruned => new Outcome(TrialState.PRUNED, double.IsNaN(last) ? null : last, null),
                EventFields.Complete when double.IsFinite(last) => new Outcome(TrialState.COMPLETE, last, null),
                EventFields.Complete when double.IsFinite(result.Field(settings.Metric)) => new Outcome(TrialState.COMPLETE, result.Field(settings.Metric), null),
                EventFields.Complete => new Outcome(TrialState.FAIL, null, $"result has no finite {settings.Metric}"),
                _ => new Outcome(TrialState.FAIL, null, $"unknown result state '{result.State}'"),
            };
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
        }
    }

    private async Task<bool> ShouldPruneAsync(long trialId, int studyId)
    {
        var trials = await storage.GetAllTrialsAsync(studyId);
        var me = trials.First(t => t.Id == trialId);
        return pruner.ShouldPrune(me, trials, settings.Direction);
    }

    private async Task RecordResultAttributesAsync(long trialId, WorkerEvent.Result result, TimeSpan elapsed)
    {
        if (result.Text(EventFields.Checkpoint) is { } checkpoint)
            await storage.SetTrialUserAttrAsync(trialId, StudyAttributes.Checkpoint, checkpoint);
        var duration = result.Field(EventFields.DurationSeconds);
        await storage.SetTrialUserAttrAsync(trialId, StudyAttributes.DurationSeconds, double.IsFinite(duration) ? duration : elapsed.TotalSeconds);
    }

    private async Task<TrialSnapshot> FinishAsync(TrialSnapshot trial, int studyId, Outcome outcome)
    {
        if (outcome.FailReason is not null)
            await storage.SetTrialSystemAttrAsync(trial.Id, StudyAttributes.FailReason, outcome.FailReason);
        var finished = await storage.FinishTrialAsync(trial.Id, outcome.State, outcome.Value);
        var stored = await storage.GetTrialAsync(trial.Id);
        if (!finished)
        {
            // Another process (a heartbeat sweep) finished it first; storage has the final word.
            log.Warning("Trial {Trial} was already finished as {State} by another process", trial.Number, stored.State);
            return stored;
        }
        if (outcome.State == TrialState.FAIL)
            log.Warning("Trial {Trial} failed: {Reason}", trial.Number, outcome.FailReason);
        else
            log.Information("Trial {Trial} {State}: {Metric} = {Value:F4}", trial.Number, outcome.State, settings.Metric, outcome.Value);
        if (outcome.Retry) await Retries.RequeueAsync(storage, studyId, stored, settings.MaxRetries, log);
        observer.TrialFinished(stored);
        return stored;
    }

    // A full disk is not ridden out like a lost connection: the worker is stopped and the error rethrown when the
    // supervision awaits this task, so the trial is recorded FAIL and the study stops (issue 11).
    private async Task HeartbeatAsync(long trialId, Action stopWorker, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(settings.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try { await storage.RecordHeartbeatAsync(trialId, ct); }
                catch (Exception e) when (DiskReserve.IsDiskFull(e))
                {
                    stopWorker();
                    throw;
                }
                catch (Exception e) when (e is not OperationCanceledException) { log.Warning(e, "Heartbeat of trial {TrialId} failed", trialId); }
            }
        }
        catch (OperationCanceledException) { }
    }

    // The last lines of stderr say why a worker died; the full log stays in the trial folder.
    private static string StderrTail(string path)
    {
        try
        {
            var lines = File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(3).ToList();
            return lines.Count == 0 ? "" : ": " + string.Join(" | ", lines.Select(l => l.Trim()));
        }
        catch (IOException) { return ""; }
    }
}
