using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Serilog;

namespace Mnist.Search.Retraining;

/// <summary>
/// Which process retrains a study's best trial at the end of <c>study start</c>: every coordinator sharing a
/// study sees the budget spent, and each used to retrain (issue 11). The claim is a study system attribute
/// set by compare-and-set, <c>{"trial","host","pid","instance","state":"running"|"done"|"failed","at"}</c> (and
/// <c>"recipe"</c>, how it retrained, when "done"). Its holder
/// renews <c>at</c> every <see cref="RenewEvery"/> while it retrains (<see cref="RetrainClaim"/>.Renewal.cs). A claim is
/// taken over when its process is gone (this host and container: asked directly), when it was not renewed for
/// <see cref="StaleAfter"/> (any host), or when it is for another best trial; the process that held it stops its retrain and
/// leaves best/ to the new holder (<see cref="RetrainClaim"/>.TakenOver.cs). A "done" claim for the same trial, retrained
/// as now asked, means there is nothing left to do; <c>study retrain</c> retrains whatever a claim says, except while another process
/// retrains the study.
/// </summary>
internal sealed partial class RetrainClaim : IAsyncDisposable
{
    public const string Attribute = "mnist_search:retrain_claim";

    /// <summary>How often the holder writes a fresh <c>at</c> into its claim while it retrains.</summary>
    /// <remarks>
    /// 30 s: one small compare-and-set per half minute costs the database nothing, and it lets another host tell a dead
    /// holder within minutes. Before, an unrenewed claim had to be trusted for 12 h (a retrain may run for hours), so a
    /// holder that died on another host or container kept every other <c>study start</c> from retraining that long.
    /// </remarks>
    public static readonly TimeSpan RenewEveryDefault = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <see cref="RenewEveryDefault"/>, or shorter where tests set <c>MNIST_SEARCH_RETRAIN_RENEW_SECONDS</c> (a deleted
    /// study is noticed at a renewal). <see cref="StaleAfter"/> keeps counting with the default.
    /// </summary>
    public static TimeSpan RenewEvery { get; set; } = RenewEveryDefault;

    /// <summary>A running claim whose <c>at</c> is older than this is stale, whoever holds it.</summary>
    /// <remarks>
    /// A live holder's renewals stop only while the database is down. Outages of up to <see cref="StorageOutage.RideOut"/>
    /// (2 min) are ridden out by every coordinator, so a claim must survive one; two more intervals cover the renewal
    /// that lands just after it and hosts whose clocks differ by seconds (<c>at</c> is the holder's clock, read against
    /// the taker's). Clocks that differ by minutes can make a live claim look stale: the trial is then retrained by the
    /// taker, and the process it was taken from stops at its next renewal, or before its swap at the latest.
    /// </remarks>
    public static readonly TimeSpan StaleAfter = StorageOutage.RideOut + 2 * RenewEveryDefault;

    private readonly IStudyStorage _storage;
    private readonly int _studyId;
    private readonly int _trialNumber;
    private readonly ILogger _log;

    // The claim's text as this process last stored it: the expected value of its next compare-and-set. Only the renewal
    // writes it while it runs; EndAsync stops the renewal before it reads it. TakenOverBeforeSwapAsync sets it to another
    // process's claim (null: none) to take that claim back.
    private string? _current;

    // What the retrain is asked for (Recipe), written into a "done" claim; and the claim as it was before this one, put
    // back when this retrain fails over a "done" one (best/ still holds that retrain's model).
    private readonly string _recipe;
    private readonly JsonObject? _previous;
    private bool _ended;
    private bool _promoted;

    // How long ending the claim may wait for the database (it retries for minutes otherwise).
    private static readonly TimeSpan EndWithin = TimeSpan.FromSeconds(30);

    private RetrainClaim(IStudyStorage storage, int studyId, int trialNumber, ILogger log, string current, TimeSpan renewEvery, string recipe,
        JsonObject? previous)
    {
        _storage = storage;
        _studyId = studyId;
        _trialNumber = trialNumber;
        _log = log;
        _current = current;
        _recipe = recipe;
        _previous = previous;
        _renewal = RenewAsync(renewEvery);
    }

    /// <summary>
    /// How a retrain is asked to train, as a "done" claim records it: `study start` retrains again when the model in
    /// best/ was made otherwise (a `study retrain --epochs 1` to check, say), and not when it was made as asked.
    /// </summary>
    public static string Recipe(Config.RetrainConfig retrain) =>
        $"epochs {retrain.Epochs}, max_minutes {(retrain.MaxTime is { } max ? max.TotalMinutes.ToString("R", CultureInfo.InvariantCulture) : "none")}";

    /// <summary>
    /// The claim for <paramref name="trialNumber"/>, renewing itself until <see cref="EndAsync"/> or disposal; or null with
    /// <paramref name="why"/> saying who has it. <c>study start</c> does not take a live claim of the same trial, nor a
    /// "done" one made by the same <paramref name="recipe"/> (a claim of another trial it takes: the best has changed).
    /// <paramref name="again"/> (<c>study retrain</c>) takes a "done" claim too, but never a live one of any trial: two
    /// retrains of one study at once would share its machine for nothing. <paramref name="renewEvery"/> is for tests (default <see cref="RenewEvery"/>).
    /// </summary>
    public static async Task<(RetrainClaim? Claim, string Why)> TryTakeAsync(IStudyStorage storage, int studyId, int trialNumber, string recipe,
        ILogger log, CancellationToken ct, TimeSpan? renewEvery = null, bool again = false)
    {
        var attrs = await storage.GetStudySystemAttributesAsync(studyId, ct);
        var existing = attrs.GetValueOrDefault(Attribute);
        var held = Parse(existing);
        if (held is not null)
        {
            var heldTrial = (int?)held["trial"];
            if (again && IsLive(held)) return (null, $"trial {heldTrial} is being retrained by {Owner(held)}");
            if (!again && heldTrial == trialNumber)
            {
                if (IsDoneAsAsked(held, recipe))
                    return (null, $"trial {trialNumber} was already retrained by {Owner(held)}");
                if (IsLive(held)) return (null, $"trial {trialNumber} is being retrained by {Owner(held)}");
            }
        }
        var mine = Value(trialNumber, "running");
        return await storage.CompareAndSetStudySystemAttrAsync(studyId, Attribute, existing, mine, ct)
            ? (new RetrainClaim(storage, studyId, trialNumber, log, StoredText(mine), renewEvery ?? RenewEvery, recipe, held), "")
            : (null, $"another process claimed the retrain of trial {trialNumber} first");
    }

    /// <summary>
    /// Who retrains <paramref name="studyId"/>'s best trial now (<c>trial N by HOST pid P</c>), or null when no live claim
    /// says so: what <c>study delete</c> refuses to pull the study from under.
    /// </summary>
    public static async Task<string?> LiveHolderAsync(IStudyStorage storage, int studyId, CancellationToken ct)
    {
        var attrs = await storage.GetStudySystemAttributesAsync(studyId, ct);
        return Parse(attrs.GetValueOrDefault(Attribute)) is { } held && IsLive(held) ? $"trial {(int?)held["trial"]} by {Owner(held)}" : null;
    }

    /// <summary>
    /// Stops renewing and marks the retrain done with its recipe (nobody needs to redo it), or failed: then the claim it
    /// took over is put back when that was a "done" one (best/ still holds that model, which a failed retrain never
    /// replaces), else it is marked failed (anyone may take it over). A claim another process took over meanwhile is left
    /// as that process wrote it.
    /// </summary>
    public async Task EndAsync(bool done)
    {
        _ended = true;
        await StopRenewingAsync();
        if (_lost) return;
        // Once the new model is in best/, the earlier "done" claim no longer describes it: a failure after the swap (a
        // storage write) leaves the claim failed, so that `study start` retrains as it is asked.
        var end = done ? Value(_trialNumber, "done", _recipe)
            : (string?)_previous?["state"] == "done" && !_promoted ? _previous!.DeepClone().AsObject()
            : Value(_trialNumber, "failed");
        bool written;
        // Never throws: called from a catch, it must not hide why the retrain ended, and after a good retrain it must not
        // fail the command. Bounded: a database that does not answer would hold the command for minutes of retries.
        using var limit = new CancellationTokenSource(EndWithin);
        try { written = await WriteAsync(end, limit.Token); }
        catch (RowNotFoundException) { return; } // the study was deleted meanwhile: no claim left to end
        catch (Exception e)
        {
            _log.Warning("Could not end the retrain claim of trial {Trial} ({Error}); another process takes it over once it looks stale", _trialNumber, e.Message);
            return;
        }
        if (!written)
            _log.Warning("The retrain claim of trial {Trial} was taken over by another process; it is left as that process wrote it", _trialNumber);
    }

    /// <summary>Called once the retrained model is in best/ (<see cref="EndAsync"/> then never puts back an earlier "done").</summary>
    public void MarkPromoted() => _promoted = true;

    // A "done" claim whose retrain was made as asked; one from before recipes were recorded counts as made as asked.
    private static bool IsDoneAsAsked(JsonObject claim, string recipe) =>
        (string?)claim["state"] == "done" && ((string?)claim["recipe"] ?? recipe) == recipe;

    private static bool IsLive(JsonObject claim)
    {
        if ((string?)claim["state"] != "running") return false;
        // Its process is asked where that can be told (this host and container); elsewhere the claim's renewals decide.
        if ((string?)claim["host"] is { } host && (int?)claim["pid"] is { } pid)
        {
            var owner = new ProcessIdentity(host, pid, (string?)claim["instance"]);
            if (ProcessIdentity.Current.IsCertainlyRunning(owner)) return true;
            if (ProcessIdentity.Current.HasCertainlyEnded(owner)) return false;
        }
        var at = DateTime.TryParse((string?)claim["at"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : DateTime.MinValue;
        return DateTime.UtcNow - at < StaleAfter;
    }

    // A claim that is not a JSON object (written by hand, or cut short) is nobody's.
    private static JsonObject? Parse(string? stored)
    {
        try { return stored is null ? null : JsonNode.Parse(stored) as JsonObject; }
        catch (System.Text.Json.JsonException) { return null; }
    }

    private static string Owner(JsonObject claim) => $"{(string?)claim["host"]} pid {(int?)claim["pid"]}";

    // Whether a stored claim is this process's running claim for this trial (whatever its "at").
    private bool IsMine(JsonObject claim) =>
        (int?)claim["trial"] == _trialNumber && (string?)claim["state"] == "running" && (string?)claim["host"] == Environment.MachineName
        && (int?)claim["pid"] == Environment.ProcessId && (string?)claim["instance"] == ProcessIdentity.Current.Instance;

    // Storage serializes values itself; this is the text it stores (and reads back) for one.
    private static string StoredText(JsonObject value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static JsonObject Value(int trialNumber, string state, string? recipe = null)
    {
        var value = new JsonObject
        {
            ["trial"] = trialNumber,
            ["host"] = Environment.MachineName,
            ["pid"] = Environment.ProcessId,
            ["instance"] = ProcessIdentity.Current.Instance,
            ["state"] = state,
            ["at"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
        if (recipe is not null) value["recipe"] = recipe;
        return value;
    }
}
