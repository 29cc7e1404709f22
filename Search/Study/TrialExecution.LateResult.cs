using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// A coordinator stopped (SIGSTOP, a suspended VM, a long GC or network cut) for longer than the heartbeat
/// grace has its trial failed by another process; meanwhile its worker may finish. That finished result is
/// recorded on the trial that stands in for the failed one, so the work is not done twice and nothing is lost:
/// on its retry if the retry has not started anywhere yet, or, when the failed trial had no retries left, on a
/// new trial that names it as the retry it never got (so the budget counts it once, as for any retry). When the
/// retry already ran or runs elsewhere, that run stands and this result stays in the trial's folder and log only.
/// The failed trial itself is never changed (finished trials are read-only).
/// </summary>
internal sealed partial class TrialExecution
{
    private async Task RecordLateResultAsync(TrialSnapshot failed, int studyId, Outcome outcome, TrialProgress progress)
    {
        var trials = await storage.GetAllTrialsAsync(studyId);
        var number = failed.Number.ToString(CultureInfo.InvariantCulture);
        var retries = trials.Where(t => t.SystemAttrs.TryGetValue(StudyAttributes.RetryOf, out var of) && of == number).ToList();
        var waiting = retries.FirstOrDefault(t => t.State == TrialState.WAITING);
        var standIn = waiting is not null ? await storage.ClaimWaitingTrialAsync(waiting.Id, OwnerAttributes.OfThisProcess())
            : retries.Count == 0 && failed.State == TrialState.FAIL ? await CreateStandInAsync(failed, studyId)
            : null;
        if (standIn is null)
        {
            log.Warning("Trial {Trial} finished ({State}, {Metric} = {Value}) after another process had failed it; its retry already " +
                "ran or runs elsewhere, so this result is kept only in the trial's folder", failed.Number, outcome.State, settings.Metric, outcome.Value);
            return;
        }

        var id = standIn.Id;
        bool recorded;
        try
        {
            // A database that goes down meanwhile is waited for, as for any result.
            recorded = await StorageOutage.RetryAsync(storage, async () =>
            {
                await WriteLateResultAsync(id, failed, progress);
                // These writes take a moment, with no heartbeat of their own: a sweep can take the stand-in for dead meanwhile
                // (after the heartbeat grace), and then its own retry runs the configuration again.
                return await storage.FinishTrialAsync(id, outcome.State, outcome.Value);
            }, log, $"recording the late result of trial {failed.Number}");
        }
        catch (TrialNotRunningException)
        {
            recorded = false;
        }
        var stored = await storage.GetTrialAsync(id);
        if (!recorded)
        {
            log.Warning("Trial {Trial} finished after another process had failed it; trial {StandIn}, which was to hold its result, " +
                "was finished as {State} by another process first, so this result is kept only in the trial's folder", failed.Number, stored.Number, stored.State);
            return;
        }
        log.Information("Trial {Trial} finished after another process had failed it as stale; its result ({Metric} = {Value:F4}) is recorded as its retry, trial {Retry}",
            failed.Number, settings.Metric, outcome.Value, stored.Number);
        observer.TrialFinished(stored);
    }

    private async Task WriteLateResultAsync(long id, TrialSnapshot failed, TrialProgress progress)
    {
        await storage.SetTrialSystemAttrAsync(id, StudyAttributes.LateResultOf, failed.Number);
        foreach (var key in new[] { StudyAttributes.Device, StudyAttributes.TrialDirectory, StudyAttributes.StdoutLog, StudyAttributes.StderrLog,
                     StudyAttributes.Host, StudyAttributes.CoordinatorPid, StudyAttributes.CoordinatorInstance, StudyAttributes.WorkerPid, StudyAttributes.WorkerInstance })
            if (failed.SystemAttrs.TryGetValue(key, out var json))
                await storage.SetTrialSystemAttrAsync(id, key, JsonNode.Parse(json));
        await WriteTrainedSoFarAsync(id, progress, write => write());
        foreach (var (epoch, value) in progress.Values) await storage.ReportIntermediateValueAsync(id, epoch, value);
        if (progress.Result is { } result) await RecordResultAttributesAsync(id, result, progress.Elapsed);
    }

    // The retry the failed trial never got (it had used up its retries), created RUNNING for this result: it names the
    // failed trial as any retry does, so the budget counts the configuration once.
    private async Task<TrialSnapshot> CreateStandInAsync(TrialSnapshot failed, int studyId)
    {
        var standIn = Retries.StandIn(failed);
        var attrs = standIn.SystemAttrs.Concat(OwnerAttributes.OfThisProcess()).ToDictionary(a => a.Key, a => a.Value);
        return await storage.CreateTrialAsync(studyId, TrialState.RUNNING, standIn.Parameters, attrs);
    }
}
