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

    /// <summary>
    /// Cancelled when a renewal finds that another process took the claim over: its retrain is the one that counts (a
    /// newer best trial, or the same trial after this process's renewals came too late), so this one should stop, not
    /// run on for hours to throw its model away. <see cref="TakenOverWhy"/> says who took it.
    /// </summary>
    public CancellationToken TakenOver => _takenOver.Token;

    /// <summary>
    /// Right before the retrained model would replace best/: stops renewing and renews the claim once more by
    /// compare-and-set, so that a takeover since the last renewal (up to <see cref="RenewEvery"/> ago) is seen. Null
    /// while this process holds the claim; else why it does not (<see cref="TakenOverWhy"/>), and then best/ and the
    /// study's retrain attributes are the new holder's: the retrain must not touch them.
    /// </summary>
    /// <remarks>
    /// A process whose claim was taken over for a newer best trial put its older model into best/ after the new holder's
    /// and wrote its trial into the study's attributes, while the claim said the newer best was retrained: best/ held a
    /// model that was not the best's, and no later <c>study start</c> repaired it. A takeover between this check and the
    /// swap (moments) leaves this model in best/ only until the new holder's swap, which comes a whole retrain later.
    /// </remarks>
    public async Task<string?> TakenOverBeforeSwapAsync(CancellationToken ct)
    {
        // Renewing stops here: the swap and the study's attributes take moments, and EndAsync follows them.
        await StopRenewingAsync();
        if (!_lost && !await WriteAsync(Value(_trialNumber, "running"), ct)) _lost = true;
        return _lost ? TakenOverWhy : null;
    }

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
