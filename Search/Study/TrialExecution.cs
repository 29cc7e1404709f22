using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mnist.Search.Pruning;
using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
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
    private sealed record Outcome(TrialState State, double? Value, string? FailReason, bool Retry = false);

    public async Task<TrialSnapshot> RunAsync(TrialSnapshot trial, DeviceSlot device, int studyId, CancellationToken interrupt)
    {
        var dir = Path.Combine(settings.StudyDirectory, "trials", trial.Number.ToString(CultureInfo.InvariantCulture));
        var spec = TrialSpec.Build(settings, TrialSpec.Hyperparameters(settings.Fixed, trial), settings.Epochs,
            settings.Seed + trial.Number, device.WorkerDevice, device.Threads, dir);
        var specPath = TrialSpec.Write(spec, Path.Combine(dir, "spec.json"));
        var start = command.ToStartInfo(specPath, dir, device, trial.Number, settings.Data.Directory);

        var progress = new TrialProgress(trial, device, dir, start);
        await progress.SetSystemAttributesAsync(storage, trial.Id);

        Outcome outcome;
        IWorkerProcess? process = null;
        try
        {
            process = launcher.Start(start);
            await WriteAsync(progress, () => storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.WorkerPid, process.ProcessId.ToString(CultureInfo.InvariantCulture)));
            log.Information("Trial {Trial} started on {Device} (pid {Pid})", trial.Number, device.Id, process.ProcessId);
            observer.TrialStarted(trial, device);
            outcome = await SuperviseAsync(trial, process, progress, start.StderrLogPath, studyId, interrupt);
        }
        catch (WorkerStartException e)
        {
            outcome = new Outcome(TrialState.FAIL, null, $"worker did not start: {WorkerText.Sanitize(e.Message)}");
        }
        finally
        {
            if (process is not null) await process.DisposeAsync();
        }

        return await FinishAsync(trial, studyId, outcome, progress);
    }

    private async Task<Outcome> SuperviseAsync(
        TrialSnapshot trial, IWorkerProcess process, TrialProgress progress, string stderrLog, int studyId, CancellationToken interrupt)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(settings.TrialTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, interrupt);
        // Killing the worker's process group closes its stdout, which ends the read loop below.
        await using var killOnStop = stop.Token.Register(process.Kill);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(trial.Id, progress, heartbeatStop.Token);

        WorkerEvent.Result? result = null;
        string? error = null;
        double last = double.NaN;
        var pruneSent = false;
        try
        {
            try
            {
                await foreach (var line in process.ReadLinesAsync(CancellationToken.None))
                {
                    // After the first protocol problem nothing more the worker says is believed.
                    if (error is not null) continue;
                    switch (WorkerEvent.Parse(line))
                    {
                        case WorkerEvent.Epoch e:
                            var value = e.Field(settings.Metric);
                            if (EpochProblem(e) is { } problem)
                            {
                                error = problem;
                                process.Kill();
                                break;
                            }
                            progress.Epochs.Add(EpochRecord(e));
                            progress.Values[e.Number] = value;
                            await WriteAsync(progress, () => storage.SetTrialUserAttributeAsync(trial.Id, StudyAttributes.Epochs, progress.Epochs.ToJsonString()));
                            last = value;
                            await WriteAsync(progress, () => storage.ReportIntermediateValueAsync(trial.Id, e.Number, value));
                            observer.EpochReported(trial, e.Number, value);
                            // Reading the whole study per epoch is only worth it when a pruner will look at it.
                            if (!pruneSent && !progress.Lost && pruner is not NopPruner && await ShouldPruneAsync(trial.Id, studyId))
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
                            error = WorkerText.Sanitize(err.Message);
                            break;
                        case WorkerEvent.Malformed m:
                            error = $"the worker broke the protocol on stdout: {m.Reason}";
                            process.Kill();
                            break;
                    }
                }
            }
            catch (WorkerOutputException e)
            {
                error ??= e.Message;
            }
            var exit = await process.WaitForExitAsync(CancellationToken.None);

            if (interrupt.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, "interrupted: the coordinator was stopped", Retry: true);
            if (timeout.IsCancellationRequested && result is null)
                return new Outcome(TrialState.FAIL, null, $"timed out after {settings.TrialTimeout.TotalMinutes:0.##} min");
            if (error is not null) return new Outcome(TrialState.FAIL, null, error);
            if (result is null) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit} without a result{StderrTail(stderrLog)}");
            if (exit != 0) return new Outcome(TrialState.FAIL, null, $"worker exited with code {exit}{StderrTail(stderrLog)}");

            progress.Result = result;
            progress.Elapsed = clock.Elapsed;
            await WriteAsync(progress, () => RecordResultAttributesAsync(trial.Id, result, clock.Elapsed));
            var final = result.Field(settings.Metric);
            return result.State switch
            {
                "pruned" => new Outcome(TrialState.PRUNED, double.IsNaN(last) ? null : last, null),
                "complete" when double.IsFinite(last) => new Outcome(TrialState.COMPLETE, last, null),
                "complete" when double.IsFinite(final) && MetricProblem(final) is { } bad => new Outcome(TrialState.FAIL, null, $"result: {bad}"),
                "complete" when double.IsFinite(final) => new Outcome(TrialState.COMPLETE, final, null),
                "complete" => new Outcome(TrialState.FAIL, null, $"result has no finite {settings.Metric}"),
                _ => new Outcome(TrialState.FAIL, null, $"unknown result state '{WorkerText.Sanitize(result.State, 40)}'"),
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
        // A path longer than any file system allows is not a checkpoint; it is not stored either.
        if (result.Text("checkpoint") is { Length: <= 4096 } checkpoint)
            await storage.SetTrialUserAttributeAsync(trialId, StudyAttributes.Checkpoint, Json(WorkerText.Sanitize(checkpoint, 4096)));
        var duration = result.Field("duration_s");
        await storage.SetTrialUserAttributeAsync(trialId, StudyAttributes.DurationSeconds,
            (double.IsFinite(duration) && duration >= 0 ? duration : elapsed.TotalSeconds).ToString("R", CultureInfo.InvariantCulture));
    }

    private async Task<TrialSnapshot> FinishAsync(TrialSnapshot trial, int studyId, Outcome outcome, TrialProgress progress)
    {
        if (outcome.FailReason is not null)
            await WriteAsync(progress, () => storage.SetTrialSystemAttributeAsync(trial.Id, StudyAttributes.FailReason, Json(outcome.FailReason)));
        var finished = !progress.Lost && await storage.FinishTrialAsync(trial.Id, outcome.State, outcome.Value);
        var stored = await storage.GetTrialAsync(trial.Id);
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
            log.Information("Trial {Trial} {State}: {Metric} = {Value:F4}", trial.Number, outcome.State, settings.Metric, outcome.Value);
        if (outcome.Retry) await Retries.RequeueAsync(storage, studyId, stored, settings.MaxRetries, log);
        observer.TrialFinished(stored);
        return stored;
    }

    private async Task HeartbeatAsync(long trialId, TrialProgress progress, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(settings.HeartbeatInterval);
        try
        {
            while (!progress.Lost && await timer.WaitForNextTickAsync(ct))
            {
                try { await WriteAsync(progress, () => storage.RecordHeartbeatAsync(trialId, ct)); }
                catch (Exception e) when (e is not OperationCanceledException) { log.Warning(e, "Heartbeat of trial {TrialId} failed", trialId); }
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
        catch (InvalidOperationException e)
        {
            progress.Lost = true;
            log.Warning("Trial {Trial} was finished by another process while this one still ran it ({Reason}); its output is kept for its retry",
                progress.Trial.Number, e.Message);
        }
    }

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

    private static string Json(string s) => JsonSerializer.Serialize(s);
}
