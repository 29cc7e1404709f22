using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Reporting;
using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Workers;
using Serilog;

namespace Mnist.Search.Retraining;

/// <summary>
/// Retrains the best trial's configuration on the whole training split (train + validation), evaluates it
/// once on the test split, and keeps it in <c>studies/&lt;name&gt;/best/</c>: checkpoint, sidecar,
/// <c>metrics.json</c> and <c>confusion_matrix.png</c>. The worker writes into a temporary folder that
/// replaces <c>best/</c> only when everything is there, so a crash leaves the previous model (or none)
/// and running it again redoes it. The figures are also stored as study user attributes.
/// </summary>
public sealed class BestModelRetrainer(IStudyStorage storage, IWorkerLauncher launcher, TrialCommand command, ILogger log)
{
    public async Task<RetrainResult> RetrainAsync(StudySettings settings, StudyInfo study, int epochs, DeviceSlot device, CancellationToken ct)
    {
        var trials = await storage.GetAllTrialsAsync(study.Id, ct: ct);
        var best = BestTrial.Of(trials, settings.Direction)
            ?? throw new RetrainException($"study '{study.Name}' has no COMPLETE trial to retrain");

        var finalDir = Path.Combine(settings.StudyDirectory, "best");
        var workDir = Path.Combine(settings.StudyDirectory, $"best.tmp-{Environment.ProcessId}");
        if (Directory.Exists(workDir)) Directory.Delete(workDir, recursive: true);
        Directory.CreateDirectory(workDir);

        var spec = TrialSpec.Build(settings, TrialSpec.Hyperparameters(settings.Fixed, best), epochs, settings.Seed,
            device.WorkerDevice, device.Threads, workDir, fullTrain: true, evaluateTest: true);
        var specPath = TrialSpec.Write(spec, Path.Combine(workDir, "spec.json"));
        log.Information("Retraining trial {Trial} ({Params}) on the full training set for {Epochs} epochs on {Device}",
            best.Number, string.Join(", ", best.Params.Keys.Select(k => $"{k}={best.ExternalParam(k)}")), epochs, device.Id);

        WorkerEvent.Result result;
        try
        {
            result = await RunWorkerAsync(command.ToStartInfo(specPath, workDir, device, best.Number, settings.Data.Directory), ct);
        }
        catch
        {
            // Nothing half-written survives: the previous best/ (if any) is untouched, the partial folder goes.
            // The worker's logs are kept beside it for the post-mortem.
            KeepLogs(workDir, Path.Combine(settings.StudyDirectory, "retrain-failed"));
            Directory.Delete(workDir, recursive: true);
            throw;
        }
        var testAccuracy = result.Field("test_accuracy");
        if (!double.IsFinite(testAccuracy)) throw new RetrainException("the retrain worker reported no test accuracy");
        var metricsPath = Path.Combine(workDir, "metrics.json");
        var metrics = File.Exists(metricsPath) ? JsonNode.Parse(File.ReadAllText(metricsPath))!.AsObject() : new JsonObject();
        if (metrics["confusion_matrix"] is JsonArray cm)
            ConfusionMatrixPlot.Save(cm, Path.Combine(workDir, "confusion_matrix.png"), $"{study.Name}: test accuracy {testAccuracy:P2}");
        var summary = new JsonObject
        {
            ["study"] = study.Name,
            ["trial"] = best.Number,
            ["validation_value"] = best.Value,
            ["epochs"] = epochs,
            ["test_accuracy"] = testAccuracy,
            ["test_loss"] = result.Field("test_loss") is var l && double.IsFinite(l) ? l : null,
            ["duration_s"] = result.Field("duration_s") is var d && double.IsFinite(d) ? d : null,
            ["params"] = TrialSpec.Hyperparameters(new Dictionary<string, object?>(), best),
        };
        File.WriteAllText(Path.Combine(workDir, "retrain.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        Promote(workDir, finalDir);
        var testLoss = result.Field("test_loss");
        await storage.SetStudyUserAttributeAsync(study.Id, StudyAttributes.RetrainTestAccuracy, testAccuracy.ToString("R", CultureInfo.InvariantCulture), ct);
        if (double.IsFinite(testLoss))
            await storage.SetStudyUserAttributeAsync(study.Id, StudyAttributes.RetrainTestLoss, testLoss.ToString("R", CultureInfo.InvariantCulture), ct);
        await storage.SetStudyUserAttributeAsync(study.Id, StudyAttributes.RetrainTrial, best.Number.ToString(CultureInfo.InvariantCulture), ct);
        await storage.SetStudyUserAttributeAsync(study.Id, StudyAttributes.RetrainDirectory, JsonSerializer.Serialize(finalDir), ct);
        await storage.SetStudyUserAttributeAsync(study.Id, StudyAttributes.RetrainMetrics, metrics.ToJsonString(), ct);
        log.Information("Retrained model of trial {Trial}: test accuracy {Accuracy:P2}, saved in {Dir}", best.Number, testAccuracy, finalDir);
        return new RetrainResult(best.Number, finalDir, testAccuracy, testLoss, metrics);
    }

    private async Task<WorkerEvent.Result> RunWorkerAsync(WorkerStartInfo start, CancellationToken ct)
    {
        await using var process = launcher.Start(start);
        await using var kill = ct.Register(process.Kill);
        WorkerEvent.Result? result = null;
        string? error = null;
        await foreach (var line in process.ReadLinesAsync(CancellationToken.None))
        {
            switch (WorkerEvent.Parse(line))
            {
                case WorkerEvent.Epoch e:
                    log.Information("Retrain epoch {Epoch}: train loss {Loss:F4}, {Rate:F0} images/s", e.Number, e.Field("train_loss"), e.Field("images_per_s"));
                    break;
                case WorkerEvent.Result r: result = r; break;
                case WorkerEvent.Error err: error = err.Message; break;
            }
        }
        var exit = await process.WaitForExitAsync(CancellationToken.None);
        ct.ThrowIfCancellationRequested();
        if (error is not null) throw new RetrainException($"retrain failed: {error}");
        if (exit != 0 || result is null) throw new RetrainException($"retrain worker exited with code {exit} without a result (logs kept in retrain-failed/)");
        return result;
    }

    private static void KeepLogs(string workDir, string logDir)
    {
        Directory.CreateDirectory(logDir);
        foreach (var name in new[] { "spec.json", "stdout.log", "stderr.log" })
        {
            var from = Path.Combine(workDir, name);
            if (File.Exists(from)) File.Copy(from, Path.Combine(logDir, name), overwrite: true);
        }
    }

    // Swap the finished folder in: the old best/ is moved aside first, so at every moment best/ is either the
    // previous complete model or the new complete one.
    private static void Promote(string workDir, string finalDir)
    {
        var old = finalDir + $".old-{Environment.ProcessId}";
        if (Directory.Exists(finalDir)) Directory.Move(finalDir, old);
        Directory.Move(workDir, finalDir);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }
}

/// <summary>Retraining could not be done; the message says why.</summary>
public sealed class RetrainException(string message) : Exception(message);
