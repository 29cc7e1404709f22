using System.Text.Json.Nodes;

namespace Mnist.Search.Retraining;

/// <summary>
/// A claim another process took over while this one retrained: that process's retrain is the one that counts, so this
/// one stops and leaves best/, the claim and the study's retrain attributes to it.
/// </summary>
internal sealed partial class RetrainClaim
{
    private readonly CancellationTokenSource _takenOver = new();

    // The claim as the process that took it over stored it, read when a write of this one's found it changed (null when
    // the claim is gone).
    private JsonObject? _holder;
    private string? _holderText;

    /// <summary>
    /// Cancelled when a renewal finds that another process took the claim over: its retrain is the one that counts (a
    /// newer best trial, or the same trial after this process's renewals came too late), so this one should stop, not
    /// run on for hours to throw its model away. <see cref="TakenOverWhy"/> says who took it.
    /// </summary>
    public CancellationToken TakenOver => _takenOver.Token;

    /// <summary>
    /// Right before the retrained model would replace best/: stops renewing and renews the claim once more by
    /// compare-and-set, so that a takeover since the last renewal (up to <see cref="RenewEvery"/> ago) is seen. Null
    /// while this process holds the claim, or once it took back a claim nobody holds any more; else why it does not
    /// (<see cref="TakenOverWhy"/>), and then best/ and the study's retrain attributes are the new holder's: the retrain
    /// must not touch them.
    /// </summary>
    /// <remarks>
    /// A process whose claim was taken over for a newer best trial put its older model into best/ after the new holder's
    /// and wrote its trial into the study's attributes, while the claim said the newer best was retrained: best/ held a
    /// model that was not the best's, and no later <c>study start</c> repaired it. A takeover between this check and the
    /// swap (moments) leaves this model in best/ only until the new holder's swap, which comes a whole retrain later.
    /// <para>
    /// A claim whose holder no longer retrains (its retrain failed, its process ended, it was done with another recipe, or
    /// the claim was removed) is taken back, and this model goes into best/. It was thrown away: when renewals ran late
    /// through a database outage and the taker's retrain of the same trial then failed, a complete model was deleted and
    /// best/ got nothing new until another run.
    /// </para>
    /// </remarks>
    public async Task<string?> TakenOverBeforeSwapAsync(CancellationToken ct)
    {
        // Renewing stops here: the swap and the study's attributes take moments, and EndAsync follows them.
        await StopRenewingAsync();
        // Written even when a renewal saw a takeover: the write reads the claim as it is now, and its holder may have ended.
        // A few tries: another process may change the claim between the read and the compare-and-set that takes it back.
        for (var attempt = 0; ; attempt++)
        {
            if (await WriteAsync(Value(_trialNumber, "running"), ct))
            {
                _lost = false;
                return null;
            }
            _lost = true;
            if (attempt == 2 || !MayTakeBack("puts its model into best/")) return TakenOverWhy;
        }
    }

    // A claim changed by a process that no longer retrains (not StillHeld) is this one's to take back: the next
    // compare-and-set expects it as read, and takes it unless it changed again. False while another process holds it.
    // One rule for the renewals and the check before the swap.
    private bool MayTakeBack(string then)
    {
        if (StillHeld(_holder)) return false;
        _log.Warning("Retrain of trial {Trial}: {Why}; this process takes the claim back and {Then}", _trialNumber, TakenOverWhy, then);
        _current = _holderText;
        return true;
    }

    // Whether the claim another process wrote keeps this retrain's model out of best/: a live retrain of any trial (that
    // process swaps in its own model), or a done one of another trial (the best has changed) or of this trial as asked
    // (best/ holds that model already). Liveness is IsLive's, as when the claim is taken.
    private bool StillHeld(JsonObject? holder) =>
        holder is not null && (IsLive(holder)
            || (string?)holder["state"] == "done" && ((int?)holder["trial"] != _trialNumber || IsDoneAsAsked(holder, _recipe)));

    /// <summary>Who took the claim over, for the line that ends this process's retrain (meaningful once it was taken over).</summary>
    public string TakenOverWhy
    {
        get
        {
            if (_holder is not { } holder) return "the retrain claim was removed from the study's storage";
            var trial = (int?)holder["trial"];
            var newer = trial == _trialNumber ? "" : ", the study's best now";
            return (string?)holder["state"] switch
            {
                "running" => $"{Owner(holder)} took over the retrain claim to retrain trial {trial}{newer}"
                    + (trial == _trialNumber ? " (this process's renewals reached the database too late)" : ""),
                "done" => $"{Owner(holder)} took over the retrain claim and retrained trial {trial}{newer}",
                _ => $"{Owner(holder)} took over the retrain claim for trial {trial}{newer}, and its retrain ended {(string?)holder["state"]}",
            };
        }
    }
}
