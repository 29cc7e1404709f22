using System.Text.Json.Nodes;
using Mnist.Search.Storage;

namespace Mnist.Search.Retraining;

/// <summary>The holder's heartbeat: a fresh <c>at</c> every interval while it retrains, so the claim never looks stale.</summary>
internal sealed partial class RetrainClaim
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _studyDeleted = new();
    private readonly Task _renewal;
    private bool _stopped;

    // Set when another process holds the claim now (seen by a renewal or by TakenOverBeforeSwapAsync); EndAsync then
    // writes nothing.
    private bool _lost;

    /// <summary>
    /// Cancelled when a renewal finds the study deleted (<c>study delete --force</c>, Optuna's <c>delete_study</c>): the
    /// retrain should stop then, not run on for hours to fail at its first write.
    /// </summary>
    public CancellationToken StudyDeleted => _studyDeleted.Token;

    /// <summary>
    /// Ends the claim as failed if <see cref="EndAsync"/> did not (whatever was thrown before the retrain ran), stops
    /// renewing and waits for the renewal to end; never throws. A claim left "running" looked live to other hosts for
    /// minutes and lost the "done" one it had taken over.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_ended) await EndAsync(done: false);
        await StopRenewingAsync();
        _stop.Dispose();
        _studyDeleted.Dispose();
        _takenOver.Dispose();
    }

    private async Task StopRenewingAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _stop.CancelAsync();
        await _renewal;
    }

    // Runs from the claim's creation to StopRenewingAsync, and catches everything: nothing awaits it before then, so an
    // exception would go unobserved, and a database error while renewing must not fail a retrain that is going well.
    private async Task RenewAsync(TimeSpan every)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    // Not cancelled by _stop: a write cut off midway may still commit, leaving a claim whose text is unknown here.
                    if (await WriteAsync(Value(_trialNumber, "running"), CancellationToken.None)) continue;
                    // Changed by a process that no longer retrains (its retrain failed, its process ended): taken back, and
                    // the retrain goes on, as the check before the swap does. It was stopped, and nobody retrained.
                    if (MayTakeBack("goes on")) continue;
                    // Taken over: for a newer best trial (study start takes a live claim of another trial), or for the same
                    // one when this process's renewals were late or its clock is far behind the taker's. The retrain stops,
                    // and this process never writes the claim again. It went on, on the reasoning that both retrain the same
                    // trial; but the taker's trial may be another, and a model swapped in after the taker's replaced the one
                    // the claim and the study's attributes name. (A taker that no longer retrains is taken back from, above,
                    // and before the swap.) The retrain says why in one line; study.log alone records when it was seen.
                    _lost = true;
                    _log.Debug("The retrain claim of trial {Trial} was taken over: {Why}", _trialNumber, TakenOverWhy);
                    try { await _takenOver.CancelAsync(); }
                    catch (Exception e) { _log.Warning("Stopping the retrain of trial {Trial} failed: {Error}", _trialNumber, e.Message); }
                    return;
                }
                catch (RowNotFoundException)
                {
                    _log.Warning("The study was deleted while trial {Trial} was being retrained; the retrain stops", _trialNumber);
                    // The renewal must never fault (it is awaited on every way out): a callback that throws is only logged.
                    try { await _studyDeleted.CancelAsync(); }
                    catch (Exception e) { _log.Warning("Stopping the retrain of trial {Trial} failed: {Error}", _trialNumber, e.Message); }
                    return;
                }
                catch (Exception e)
                {
                    _log.Warning("Could not renew the retrain claim of trial {Trial} ({Error}); trying again in {Seconds:0.#} s",
                        _trialNumber, e.Message, every.TotalSeconds);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped by EndAsync or DisposeAsync.
        }
    }

    // Compare-and-set on the claim as this process last stored it; false when another process holds it now. A write that
    // committed but whose answer was lost (the connection dropped) leaves the stored claim newer than _current: it is
    // still this process's, so it is adopted and written over instead of being taken for a takeover.
    private async Task<bool> WriteAsync(JsonObject next, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (await _storage.CompareAndSetStudySystemAttrAsync(_studyId, Attribute, _current, next, ct))
            {
                _current = StoredText(next);
                return true;
            }
            var stored = (await _storage.GetStudySystemAttributesAsync(_studyId, ct)).GetValueOrDefault(Attribute);
            if (stored is null || Parse(stored) is not { } claim || !IsMine(claim))
            {
                (_holder, _holderText) = (Parse(stored), stored);
                return false;
            }
            _current = stored;
        }
        return false;
    }
}
