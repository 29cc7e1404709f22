using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// Queues the configuration of a trial whose process died (stale heartbeat, interruption) again as a
/// WAITING trial, up to a bound, so that a crash costs time but never a budgeted trial. The failed
/// trial stays in the history as FAIL.
/// </summary>
internal static class Retries
{
    public static async Task<TrialSnapshot?> RequeueAsync(IStudyStorage storage, int studyId, TrialSnapshot failed, int maxRetries, ILogger log)
    {
        var count = failed.SystemAttrs.TryGetValue(StudyAttributes.RetryCount, out var c) && int.TryParse(c, out var n) ? n : 0;
        if (count >= maxRetries)
        {
            log.Warning("Trial {Trial} failed {Count} times; not retried again", failed.Number, count + 1);
            return null;
        }
        var parameters = failed.Params.ToDictionary(p => p.Key, p => (failed.Distributions[p.Key], p.Value));
        var attrs = new Dictionary<string, object?>
        {
            [StudyAttributes.RetryOf] = failed.Number,
            [StudyAttributes.RetryCount] = count + 1,
        };
        // A retried repeat is still a repeat (never pruned, averaged with its original).
        if (BestTrial.RepeatOf(failed) is { } original) attrs[StudyAttributes.RepeatOf] = original;
        // An enqueued trial that died before it got its parameters is still the configuration the user asked for.
        if (failed.SystemAttrs.TryGetValue(StudyAttributes.FixedParams, out var fixedParams))
            attrs[StudyAttributes.FixedParams] = System.Text.Json.Nodes.JsonNode.Parse(fixedParams);
        var retry = await storage.CreateTrialAsync(studyId, TrialState.WAITING, parameters, attrs);
        log.Information("Trial {Trial} queued again as trial {Retry}", failed.Number, retry.Number);
        return retry;
    }
}
