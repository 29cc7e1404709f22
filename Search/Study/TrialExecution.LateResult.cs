using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// A coordinator stopped (SIGSTOP, a suspended VM, a long GC or network cut) for longer than the heartbeat
/// grace has its trial failed by another process and queued again; meanwhile its worker may finish. That
/// finished result is recorded on the retry, if the retry has not started anywhere yet, so the work is not
/// done twice and nothing is lost; otherwise the retry's own run stands and this result stays in the
/// trial's folder and log only. The failed trial itself is never changed (finished trials are read-only).
/// </summary>
internal sealed partial class TrialExecution
{
    private async Task RecordLateResultAsync(TrialSnapshot failed, int studyId, Outcome outcome, TrialProgress progress)
    {
        var trials = await storage.GetAllTrialsAsync(studyId);
        var number = failed.Number.ToString(CultureInfo.InvariantCulture);
        var retry = trials.FirstOrDefault(t => t.State == TrialState.WAITING
            && t.SystemAttrs.TryGetValue(StudyAttributes.RetryOf, out var of) && of == number);
        var claimed = retry is null ? null : await storage.ClaimWaitingTrialAsync(retry.Id);
        if (claimed is null)
        {
            log.Warning("Trial {Trial} finished ({State}, {Metric} = {Value}) after another process had failed it; its retry already " +
                "ran or runs elsewhere, so this result is kept only in the trial's folder", failed.Number, outcome.State, settings.Metric, outcome.Value);
            return;
        }

        var id = claimed.Id;
        await storage.SetTrialSystemAttrAsync(id, StudyAttributes.LateResultOf, failed.Number);
        foreach (var key in new[] { StudyAttributes.Device, StudyAttributes.TrialDirectory, StudyAttributes.StdoutLog, StudyAttributes.StderrLog,
                     StudyAttributes.Host, StudyAttributes.CoordinatorPid, StudyAttributes.CoordinatorInstance, StudyAttributes.WorkerPid })
            if (failed.SystemAttrs.TryGetValue(key, out var json))
                await storage.SetTrialSystemAttrAsync(id, key, JsonNode.Parse(json));
        await storage.SetTrialUserAttrAsync(id, StudyAttributes.Epochs, progress.Epochs);
        foreach (var (epoch, value) in progress.Values) await storage.ReportIntermediateValueAsync(id, epoch, value);
        if (progress.Result is { } result) await RecordResultAttributesAsync(id, result, progress.Elapsed);
        await storage.FinishTrialAsync(id, outcome.State, outcome.Value);
        var stored = await storage.GetTrialAsync(id);
        log.Information("Trial {Trial} finished after another process had failed it as stale; its result ({Metric} = {Value:F4}) is recorded as its retry, trial {Retry}",
            failed.Number, settings.Metric, outcome.Value, stored.Number);
        observer.TrialFinished(stored);
    }
}
