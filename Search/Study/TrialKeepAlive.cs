using Mnist.Search.Storage;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// Heartbeats for a trial that is RUNNING before its worker is: created, then waiting for the proposals of trials
/// other processes created just before it (<see cref="ProposalHistory"/>) and for its own. Without them a proposal
/// longer than the heartbeat grace — eight workers proposing one after another on two cores, a GP over hundreds of
/// trials — had the new trial failed as stale by another process before it started.
/// </summary>
internal sealed class TrialKeepAlive : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TrialKeepAlive(IStudyStorage storage, long trialId, TimeSpan interval, ILogger log) =>
        _loop = Task.Run(() => BeatAsync(storage, trialId, interval, log, _stop.Token));

    private static async Task BeatAsync(IStudyStorage storage, long trialId, TimeSpan interval, ILogger log, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try { await storage.RecordHeartbeatAsync(trialId, ct); }
                catch (TrialNotRunningException) { return; }
                // An outage is said by its window, once: a stack trace at every beat filled study.log for as long as it lasted.
                catch (Exception e) when (StorageOutage.Is(e)) { StorageOutageWindow.Of(storage).Failed(e, log); }
                // A missed beat is retried at the next tick; the proposal goes on either way.
                catch (Exception e) when (e is not OperationCanceledException) { log.Debug(e, "Heartbeat of trial {TrialId} before its start failed", trialId); }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
