using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        var spec = TrialSpec.Build(settings, TrialSpec.Hyperparameters(settings.Fixed, trial), settings.Epochs,
            settings.Seed + trial.Number, device.WorkerDevice, device.Threads, dir);
        var specPath = TrialSpec.Write(spec, Path.Combine(dir, "spec.json"));
        var start = command.ToStartInfo(specPath, dir, device, trial.Number, settings.Data.Directory);

        await storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.Device, Json(device.Id));
        await storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.TrialDirectory, Json(dir));
        await storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.StdoutLog, Json(start.StdoutLogPath));
        await storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.StderrLog, Json(start.StderrLogPath));

        Outcome outcome;
        IWorkerProcess? process = null;
        try
        {
            process = launcher.Start(start);
            await storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.WorkerPid, process.ProcessId.ToString(CultureInfo.InvariantCulture));
            log.Information("Trial {Trial} started on {Device} (pid {Pid})", trial.Number, device.Id, process.ProcessId);
            observer.TrialStarted(trial, device);
            outcome = await SuperviseAsync(trial, process, start.StderrLogPath, studyId, interrupt);
        }
        catch (WorkerStartException e)
        {
            outcome = new Outcome(TrialState.FAIL, null, $"worker did not start: {e.Message}");
        }
        finally
        {
            if (process is not null) await process.DisposeAsync();
        }

        return await FinishAsync(trial, studyId, outcome);
    }

    private async Task<Outcome> SuperviseAsync(TrialSnapshot trial, IWorkerProcess process, string stderrLog, int studyId, CancellationToken interrupt)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(settings.TrialTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, interrupt);
        // Killing the worker closes its stdout, which ends the read loop below.
        await using var killOnStop = stop.Token.Register(process.Kill);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(trial.Id, process.Kill, heartbeatStop.Token);

        var epochs = new JsonArray();
        WorkerEvent.Result? result = null;
        string? error = null;
        double last = double.NaN;
        var pruneSent = false;
        try
        {
            await foreach (var line in process.ReadLinesAsync(CancellationToken.None))
            {
                switch (WorkerEvent.Parse(line))
                {
                    case WorkerEvent.Epoch e:
                        var value = e.Field(settings.Metric);
                        epochs.Add(JsonNode.Parse(e.Body.GetRawText()));
                        await storage.SetTrialUserAttributeAsync(trial.Id, StudyAttributes.Epochs, epochs.ToJsonString());
                        if (!double.IsFinite(value) || !double.IsFinite(e.Field("train_loss")))
                        {
                            error = $"non-finite {settings.Metric} or train_loss at epoch {e.Number}";
                            process.Kill();
                            break;
                        }
                        last = value;
                        await storage.ReportIntermediateValueAsync(trial.Id, e.Number, value);
                        observer.EpochReported(trial, e.Number, value);
                        // Reading the whole study per epoch is only worth it when a pruner will look at it.
                        if (!pruneSent && pruner is not NopPruner && await ShouldPruneAsync(trial.Id, studyId))
                        {
                            log.Information("Trial {Trial} pruned at epoch {Epoch} ({Metric} {Value:F4})", trial.Number, e.Number, settings.Metric, value);
                            pruneSent = true;
                            await process.SendLineAsync("prune");
                        }
                        break;
                    case WorkerEvent.Result r:
                        result = r;
                        break;
                    case WorkerEvent.Error err:
                        error = err.Message;
                        break;
                }
            }
            var exit = await process.WaitForExitAsync(CancellationToken.None);

            if (interrupt.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, "interrupted: the coordinator was stopped", Retry: true);
            if (timeout.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, $"timed out after {settings.TrialTimeout.TotalMinutes:0.#} min");
            if (error is not null) return new Outcome(TrialState.FAIL, null, error);
            if (result is null) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit} without a result{StderrTail(stderrLog)}");
            if (exit != 0) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit}{StderrTail(stderrLog)}");

            await RecordResultAttributesAsync(trial.Id, result, clock.Elapsed);
            return result.State switch
            {
                "pruned" => new Outcome(TrialState.PRUNED, double.IsNaN(last) ? null : last, null),
                "complete" when double.IsFinite(last) => new Outcome(TrialState.COMPLETE, last, null),
                "complete" when double.IsFinite(result.Field(settings.Metric)) => new Outcome(TrialState.COMPLETE, result.Field(settings.Metric), null),
                "complete" => new Outcome(TrialState.FAIL, null, $"result has no finite {settings.Metric}"),
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
        if (result.Text("checkpoint") is { } checkpoint)
            await storage.SetTrialUserAttributeAsync(trialId, StudyAttributes.Checkpoint, Json(checkpoint));
        var duration = result.Field("duration_s");
        await storage.SetTrialUserAttributeAsync(trialId, StudyAttributes.DurationSeconds,
            (double.IsFinite(duration) ? duration : elapsed.TotalSeconds).ToString("R", CultureInfo.InvariantCulture));
    }

    private async Task<TrialSnapshot> FinishAsync(TrialSnapshot trial, int studyId, Outcome outcome)
    {
        if (outcome.FailReason is not null)
            await storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.FailReason, Json(outcome.FailReason));
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

    private static string Json(string s) => JsonSerializer.Serialize(s);
}
