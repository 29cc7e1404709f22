using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// Queues the configuration of a trial whose process died (stale heartbeat, interruption) again as a
/// WAITING trial, up to a bound, so that a crash costs time but never a budgeted trial. The failed
/// trial stays in the history as FAIL; storage writes the retry in the transaction that fails it
/// (<see cref="IStudyStorage.FailTrialAsync"/>), so there is no moment when the failure counts without its retry.
/// </summary>
internal static class Retries
{
    /// <summary>The rule storage applies to a failed trial: its retry, or null once it has failed <paramref name="maxRetries"/> + 1 times.</summary>
    public static Func<TrialSnapshot, WaitingTrial?> Rule(int maxRetries) => failed => For(failed, maxRetries);

    private static WaitingTrial? For(TrialSnapshot failed, int maxRetries) =>
        RetryCount(failed) >= maxRetries ? null : StandIn(failed);

    /// <summary>
    /// The trial that runs, or holds the result of, <paramref name="failed"/>'s configuration in its place, whatever
    /// the bound: a late result of a trial with no retries left is recorded on one (<see cref="TrialExecution"/>).
    /// </summary>
    public static WaitingTrial StandIn(TrialSnapshot failed)
    {
        var count = RetryCount(failed);
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
        return new WaitingTrial(parameters, attrs);
    }

    /// <summary>Logs what became of a trial failed under <see cref="Rule"/>.</summary>
    public static void Log(FailedTrial failed, ILogger log)
    {
        if (failed.Retry is { } retry)
            log.Information("Trial {Trial} queued again as trial {Retry}", failed.Trial.Number, retry.Number);
        else
            log.Warning("Trial {Trial} failed {Count} times; not retried again", failed.Trial.Number, RetryCount(failed.Trial) + 1);
    }

    private static int RetryCount(TrialSnapshot trial) =>
        trial.SystemAttrs.TryGetValue(StudyAttributes.RetryCount, out var c) && int.TryParse(c, out var n) ? n : 0;
}
