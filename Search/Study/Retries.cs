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

    /// <summary>
    /// The rule for a trial this coordinator stopped because it was itself stopped (Ctrl+C, SIGTERM, SIGHUP), and for one
    /// whose coordinator is certainly dead on this host (kill -9): always its retry, and the stop is not one of the
    /// configuration's failures (its <c>retry_count</c> is carried over, not raised). The bound is for workers that die
    /// under a living coordinator and for heartbeats gone stale; counting the user's stops, the third Ctrl+C (or kill -9)
    /// during one configuration (a Slurm job preempted and requeued three times) dropped it for good.
    /// </summary>
    public static Func<TrialSnapshot, WaitingTrial?> AfterStop() => failed => StandIn(failed, failedAgain: false);

    private static WaitingTrial? For(TrialSnapshot failed, int maxRetries) =>
        RetryCount(failed) >= maxRetries ? null : StandIn(failed);

    /// <summary>
    /// The trial that runs, or holds the result of, <paramref name="failed"/>'s configuration in its place, whatever
    /// the bound: a late result of a trial with no retries left is recorded on one (<see cref="TrialExecution"/>).
    /// </summary>
    public static WaitingTrial StandIn(TrialSnapshot failed) => StandIn(failed, failedAgain: true);

    private static WaitingTrial StandIn(TrialSnapshot failed, bool failedAgain)
    {
        var count = RetryCount(failed);
        var parameters = failed.Params.ToDictionary(p => p.Key, p => (failed.Distributions[p.Key], p.Value));
        var attrs = new Dictionary<string, object?>
        {
            [StudyAttributes.RetryOf] = failed.Number,
            // How many times the configuration failed (a stop of the coordinator is no failure of it).
            [StudyAttributes.RetryCount] = failedAgain ? count + 1 : count,
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
