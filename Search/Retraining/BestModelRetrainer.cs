using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Datasets;
using Mnist.Protocol.Events;
using Mnist.Protocol.Outputs;
using Mnist.Search.Config;
using Mnist.Search.Reporting;
using Mnist.Search.Scheduling;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;
using Serilog;
using Mnist.Protocol.Files;

namespace Mnist.Search.Retraining;

/// <summary>
/// Retrains the best trial's configuration on the whole training split (train + validation), evaluates it
/// once on the test split, and keeps it in <c>studies/&lt;name&gt;/best/</c>: checkpoint, sidecar,
/// <c>metrics.json</c> and <c>confusion_matrix.png</c>. The worker writes into a temporary folder that
/// replaces <c>best/</c> only when everything is there, so a crash leaves the previous model (or none)
/// and running it again redoes it. The figures are also stored as study user attributes. With
/// <see cref="RetrainConfig.MaxTime"/> the worker cuts the epochs to end within it (the spec's <c>max_seconds</c>).
/// </summary>
/// <param name="studyArgs">How the commands that follow up name the study (its name, with <c>--storage</c> when it is not
/// where they look by default): the interrupted retrain's hint gave the bare name, which retrained another storage's study
/// of that name (or none).</param>
public sealed class BestModelRetrainer(IStudyStorage storage, IWorkerLauncher launcher, TrialCommand command, ILogger log, string? studyArgs = null)
{
    /// <summary>
    /// Retrains trial <paramref name="trialNumber"/> (the one <paramref name="claim"/> was taken for: the best may have
    /// changed since, and the claim must be ended for the trial retrained), or the study's best when null. The claim's
    /// <see cref="RetrainClaim.StudyDeleted"/> stops it as <paramref name="ct"/> does, and says why; so does its
    /// <see cref="RetrainClaim.TakenOver"/>, and a takeover seen right before the swap: then best/ and the study's retrain
    /// attributes are left to the new holder and <see cref="RetrainTakenOverException"/> is thrown. The claim is told
    /// once best/ is new (<see cref="RetrainClaim.MarkPromoted"/>).
    /// </summary>
    internal async Task<RetrainResult> RetrainAsync(StudySettings settings, StudyInfo study, RetrainConfig retrain, DeviceSlot device, CancellationToken ct,
        int? trialNumber = null, RetrainClaim? claim = null)
    {
        var studyDeleted = claim?.StudyDeleted ?? default;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, studyDeleted);
        var userCt = ct;
        ct = stop.Token;
        // Only the worker's run stops at a takeover seen by a renewal: one seen after the run must not cancel the storage
        // reads that follow it (the command would end "interrupted"); the check before the swap sees it instead.
        using var training = CancellationTokenSource.CreateLinkedTokenSource(ct, claim?.TakenOver ?? default);
        int epochs = retrain.Epochs;
        var trials = await storage.GetAllTrialsAsync(study.Id, ct: ct);
        var choice = BestTrial.Choose(trials, settings.Direction);
        var best = (trialNumber is { } n ? trials.FirstOrDefault(t => t.Number == n && t.State == TrialState.COMPLETE) : choice?.Trial)
            ?? throw new RetrainException($"study '{study.Name}' has no COMPLETE trial {(trialNumber is { } m ? m.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " : "")}to retrain"
                + (trialNumber is null && BestTrial.Skipped(trials, settings.Direction, null).FirstOrDefault() is { } only ? $" (trial {only.Number} is no configuration of it: {only.NotOfStudy})" : ""));
        // A retrain must reproduce what was measured: another Optuna client's trial with values the study does not
        // search, or against its fixed ones, would be trained as something else (the audit's trained SGD where Adam is fixed).
        if (best.NotOfStudy is { } notOf)
            throw new RetrainException($"trial {best.Number} of study '{study.Name}' is no configuration of it ({notOf}): retraining it would not train what was measured");
        // (`study retrain` names the best trial it chose as trialNumber: said for it as for the study's own retrain.)
        if (choice?.Trial.Number == best.Number)
            foreach (var skipped in BestTrial.Skipped(trials, settings.Direction, choice.Value))
                log.Warning("Trial {Skipped} (value {Value}) is better than trial {Trial} but is not retrained: it is no configuration of this study ({Why})",
                    skipped.Number, skipped.Value, best.Number, skipped.NotOfStudy);
        if (best.Terms?.OutsideSpace(best) is { } outside)
            log.Warning("Trial {Trial} has values outside the study's space as it is now ({Outside}): measured as such, so it is retrained with them", best.Number, outside);

        var finalDir = Path.Combine(settings.StudyDirectory, StudyFolder.BestFolder);
        RetrainFolders.CleanUpAfterDeadRetrains(finalDir, log);
        var workDir = RetrainFolders.WorkFolder(finalDir);
        if (Directory.Exists(workDir)) Directory.Delete(workDir, recursive: true);
        Directory.CreateDirectory(workDir);

        // The limit in whole seconds, as the worker is told it and as the lines below say it: "0.#" minutes showed
        // max_minutes 0.05 (3 s) as "0.1 min", twice the time.
        var spec = settings.SpecFor(best, epochs, settings.Seed, device, workDir, fullTrain: true, evaluateTest: true)
            with { MaxSeconds = retrain.MaxTime is { } max ? (int)Math.Ceiling(max.TotalSeconds) : null };
        var specPath = spec.Write(Path.Combine(workDir, ArtifactNames.Spec));
        log.Information("Retraining trial {Trial} ({Params}) on the full training set for {Epochs} epoch(s){Limit} on {Device}",
            best.Number, string.Join(", ", best.Params.Keys.Select(k => $"{k}={best.ExternalParam(k)}")), epochs,
            spec.MaxSeconds is { } limit ? $" (fewer if they would take over {Durations.Format(TimeSpan.FromSeconds(limit))}: retrain.max_minutes)" : "", device.Id);
        var missing = MissingHyperparameters.Of(settings, best, command.IsTrialsWorker);
        if (missing.Count > 0)
            log.Warning("Trial {Trial} has no value for {Count} searched hyperparameter(s) (a trial of another Optuna client that did not suggest them): the retrain trains it with {Filled}",
                best.Number, missing.Count, string.Join(", ", missing));

        WorkerEvent.Result result;
        double testAccuracy;
        JsonObject metrics;
        try
        {
            result = await RunWorkerAsync(command.ToStartInfo(specPath, workDir, device, best.Number, settings.Data.Directory), epochs, Silence(settings), training.Token);
            // What the worker wrote is checked inside the guard too: a result without a test accuracy or a metrics.json that
            // is not the protocol's is a failed retrain (the folder goes, the logs are kept), not a stack trace after it.
            testAccuracy = result.Field(EventFields.TestAccuracy);
            if (!double.IsFinite(testAccuracy))
                throw new RetrainException($"the retrain worker's result has no {EventFields.TestAccuracy} (a retrain's spec asks for evaluate_test; docs/worker-protocol.md)");
            // Named where it is kept (the work folder goes), so that the line points at a file that is there.
            metrics = RetrainMetrics.Read(Path.Combine(workDir, ArtifactNames.Metrics), Path.Combine(settings.StudyDirectory, RetrainFolders.FailedLogs, ArtifactNames.Metrics));
            if (metrics["confusion_matrix"] is JsonArray cm)
                ConfusionMatrixPlot.Save(cm, Path.Combine(workDir, "confusion_matrix.png"), $"{study.Name}: test accuracy {testAccuracy:P2}");
        }
        catch (Exception e)
        {
            var takenOver = training.IsCancellationRequested && !ct.IsCancellationRequested;
            // Nothing half-written survives: the previous best/ (if any) is untouched, the partial folder goes. The
            // worker's logs of a failure are kept beside it for the post-mortem; a stop is no failure (they were filed
            // under retrain-failed/ all the same). study.log says how it ended: its last line was "Retraining trial N".
            if (studyDeleted.IsCancellationRequested && !userCt.IsCancellationRequested)
                log.Warning("Retrain of trial {Trial} stopped: study {Study} was deleted", best.Number, study.Name);
            else if (ct.IsCancellationRequested)
                log.Warning("Retrain of trial {Trial} interrupted; `study retrain {StudyArgs}` (or the same `study start`) retrains it", best.Number, studyArgs ?? study.Name);
            else if (takenOver)
            {
                Directory.Delete(workDir, recursive: true);
                throw TakenOver(study, best.Number, claim!.TakenOverWhy, e);
            }
            else
            {
                log.Error("Retrain of trial {Trial} failed: {Error} (worker logs in {Logs})", best.Number, e.Message, RetrainFolders.FailedLogs + "/");
                KeepLogs(workDir, Path.Combine(settings.StudyDirectory, RetrainFolders.FailedLogs));
            }
            Directory.Delete(workDir, recursive: true);
            throw;
        }
        var epochsRun = result.Field(EventFields.EpochsRun) is var run && double.IsFinite(run) ? (int)run : epochs;
        if (epochsRun < epochs && spec.MaxSeconds is { } maxSeconds)
            log.Warning("Retrain of trial {Trial} ran {Run} of {Epochs} epochs to end within retrain.max_minutes ({Max})",
                best.Number, epochsRun, epochs, Durations.Format(TimeSpan.FromSeconds(maxSeconds)));
        else if (epochsRun < epochs)
            log.Warning("Retrain of trial {Trial} ran {Run} of {Epochs} epochs", best.Number, epochsRun, epochs);
        var summary = new JsonObject
        {
            ["study"] = study.Name,
            ["trial"] = best.Number,
            ["validation_value"] = best.Value,
            ["epochs"] = epochsRun,
            ["epochs_configured"] = epochs,
            ["max_minutes"] = retrain.MaxTime?.TotalMinutes,
            ["test_accuracy"] = testAccuracy,
            ["test_loss"] = result.Field(EventFields.TestLoss) is var l && double.IsFinite(l) ? l : null,
            ["duration_s"] = result.Field(EventFields.DurationSeconds) is var d && double.IsFinite(d) ? d : null,
            ["params"] = new JsonObject(best.Params.Keys.Select(k => KeyValuePair.Create(k, DistributionJson.ToNode(best.ExternalParam(k))))),
            // The searched hyperparameters the trial has no value for, each with the value trained instead (null: a custom
            // worker's own default); empty for a trial that has them all.
            ["missing_params"] = new JsonObject(missing.Select(m => KeyValuePair.Create(m.Name, DistributionJson.ToNode(m.Value)))),
        };
        File.WriteAllText(Path.Combine(workDir, "retrain.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        // A delete of the study is seen at the claim's renewals, up to 30 s apart: a retrain that ends in between must not
        // put a model of a study that no longer exists into best/ (it did, then ended saying the study was deleted).
        if (await StudyGone.IsCertainAsync(storage, study, ct))
        {
            log.Warning("Retrain of trial {Trial} stopped: study {Study} was deleted", best.Number, study.Name);
            Directory.Delete(workDir, recursive: true);
            throw new RowNotFoundException($"no study with id {study.Id}");
        }
        // A takeover since the claim's last renewal (up to 30 s ago) is seen here, before best/ is touched: a process whose
        // claim was taken for a newer best trial put its older model into best/ over the new holder's and wrote its trial
        // into the study's attributes, while the claim said the newer best was retrained (and no study start repaired it).
        // A claim whose holder no longer retrains (failed, ended, removed) is taken back by the check, and this model goes in.
        if (claim is not null && await claim.TakenOverBeforeSwapAsync(ct) is { } why)
        {
            Directory.Delete(workDir, recursive: true);
            throw TakenOver(study, best.Number, why, inner: null);
        }
        Promote(workDir, finalDir);
        claim?.MarkPromoted();
        // The logs of an earlier failed retrain explained a model that no longer matters.
        RetrainFolders.Delete(Path.Combine(settings.StudyDirectory, RetrainFolders.FailedLogs));
        var testLoss = result.Field(EventFields.TestLoss);
        await storage.SetStudyUserAttrAsync(study.Id, StudyAttributes.RetrainTestAccuracy, testAccuracy, ct);
        if (double.IsFinite(testLoss))
            await storage.SetStudyUserAttrAsync(study.Id, StudyAttributes.RetrainTestLoss, testLoss, ct);
        await storage.SetStudyUserAttrAsync(study.Id, StudyAttributes.RetrainTrial, best.Number, ct);
        await storage.SetStudyUserAttrAsync(study.Id, StudyAttributes.RetrainDirectory, finalDir, ct);
        await storage.SetStudyUserAttrAsync(study.Id, StudyAttributes.RetrainMetrics, metrics, ct);
        log.Information("Retrained model of trial {Trial}: test accuracy {Accuracy:P2}, saved in {Dir}", best.Number, testAccuracy, finalDir);
        return new RetrainResult(best.Number, finalDir, testAccuracy, testLoss, metrics);
    }

    // The one line that ends a retrain whose claim another process took over (study.log and the console), and what the
    // command ends with: study start exits 0 on it (the study's best is retrained, by that process), study retrain 1.
    private RetrainTakenOverException TakenOver(StudyInfo study, int trial, string why, Exception? inner)
    {
        log.Warning("Retrain of trial {Trial} stopped: {Why}; its model is not put into best/", trial, why);
        return new RetrainTakenOverException($"study '{study.Name}': trial {trial} was not retrained: {why}", inner);
    }

    /// <summary>
    /// How long a retrain worker may print nothing before it counts as hung: as long as a whole trial may take
    /// (budget.trial_timeout_minutes), times how many trials' images one retrain epoch reads when that is more than one.
    /// A retrain epoch reads every training image, and trials may train on a subset: a one-epoch retrain on 60,000 images
    /// after one-epoch trials on 2,000 was stopped as hung in the middle of its epoch.
    /// </summary>
    internal static TimeSpan Silence(StudySettings settings)
    {
        var trialImages = settings.Data.TrainSubset is { } subset and > 0 ? subset : DatasetNames.TrainImages - settings.Data.Validation;
        var ratio = Math.Max(1.0, DatasetNames.TrainImages / ((double)Math.Max(1, trialImages) * Math.Max(1, settings.Epochs)));
        // No longer than a .NET timer waits (49.7 days), the bound of budget.trial_timeout_minutes itself.
        return TimeSpan.FromMinutes(Math.Max(settings.TrialTimeout.TotalMinutes, Math.Min(settings.TrialTimeout.TotalMinutes * ratio, Config.MinutesRule.MaximumMinutes)));
    }

    // A retrain has no total time limit (it may be told to train for hours), but a worker that says nothing for longer
    // than Silence has hung: it is stopped and the retrain fails, instead of the command waiting forever. Every event it
    // prints (start, each epoch) restarts the clock.
    private async Task<WorkerEvent.Result> RunWorkerAsync(WorkerStartInfo start, int epochs, TimeSpan silence, CancellationToken ct)
    {
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(ct);
        watchdog.CancelAfter(silence);
        Task LogEpoch(WorkerEvent e, IWorkerProcess _)
        {
            watchdog.CancelAfter(silence);
            if (e is WorkerEvent.Start { OneDnnRefused: { } refused })
                log.Warning("Retrain: the worker was asked for oneDNN but trains on libtorch's own kernels: {Reason}", WorkerText.Sanitize(refused, 300));
            if (e is WorkerEvent.Epoch epoch) LogEpochFigures(epoch, epochs);
            return Task.CompletedTask;
        }
        var run = await new WorkerRunner(launcher).RunAsync(start, watchdog.Token, onEvent: LogEpoch);
        if (run.KilledAfterResult)
            log.Warning("Retrain: its worker {Lingered:l}", WorkerOutcome.LingeredWarning);
        ct.ThrowIfCancellationRequested();
        if (watchdog.IsCancellationRequested && run.Result is null)
            throw new RetrainException(
                $"the retrain worker printed nothing for {Durations.Format(silence)} (budget.trial_timeout_minutes, times the trials' images one retrain epoch reads) and was stopped");
        if (run.Error is not null) throw new RetrainException($"retrain failed: {run.Error}");
        if (run.ExitCode != 0 || run.Result is null)
            throw new RetrainException($"retrain worker exited with code {run.ExitCode} without a result");
        return run.Result;
    }

    // train_loss and images_per_s are optional (another program may not measure them): the line leaves out what the
    // worker did not say; it read "NaN images/s".
    private void LogEpochFigures(WorkerEvent.Epoch epoch, int epochs)
    {
        var (loss, rate) = (epoch.Field(EventFields.TrainLoss), epoch.Field(EventFields.ImagesPerSecond));
        var planned = epoch.PlannedEpochs(epochs);
        if (double.IsFinite(loss) && double.IsFinite(rate))
            log.Information("Retrain epoch {Epoch}/{Planned}: train loss {Loss:F4}, {Rate:F0} images/s", epoch.Number, planned, loss, rate);
        else if (double.IsFinite(loss))
            log.Information("Retrain epoch {Epoch}/{Planned}: train loss {Loss:F4}", epoch.Number, planned, loss);
        else if (double.IsFinite(rate))
            log.Information("Retrain epoch {Epoch}/{Planned}: {Rate:F0} images/s", epoch.Number, planned, rate);
        else
            log.Information("Retrain epoch {Epoch}/{Planned} done", epoch.Number, planned);
    }

    private static void KeepLogs(string workDir, string logDir)
    {
        Directory.CreateDirectory(logDir);
        foreach (var name in new[] { ArtifactNames.Spec, ArtifactNames.StdoutLog, ArtifactNames.StderrLog, ArtifactNames.Metrics })
        {
            var from = Path.Combine(workDir, name);
            // An earlier failure's file that this one did not write would be taken for this one's.
            if (File.Exists(from)) File.Copy(from, Path.Combine(logDir, name), overwrite: true);
            else File.Delete(Path.Combine(logDir, name));
        }
    }

    // Swap the finished folder in: the old best/ is moved aside first, so at every moment best/ is either the
    // previous complete model or the new complete one.
    private static void Promote(string workDir, string finalDir)
    {
        // Every file on the disk before the folder's new name points at it: after a power loss best/ is never a
        // folder of empty files.
        foreach (var file in Directory.EnumerateFiles(workDir, "*", SearchOption.AllDirectories)) Durable.Flush(file);
        var old = RetrainFolders.AsideFolder(finalDir);
        if (Directory.Exists(finalDir))
        {
            Directory.Move(finalDir, old);
            // Its files are as old as the previous model: the stamp tells another host's cleanup that the swap is under way.
            Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow);
        }
        Directory.Move(workDir, finalDir);
        RetrainFolders.Delete(old);
    }
}

/// <summary>Retraining could not be done; the message says why.</summary>
public sealed class RetrainException(string message) : Exception(message);

/// <summary>Another process took over the retrain's claim (a newer best trial, or the same one): its model is the one for best/.</summary>
public sealed class RetrainTakenOverException(string message, Exception? inner) : Exception(message, inner);
