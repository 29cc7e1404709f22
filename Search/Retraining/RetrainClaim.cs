using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Serilog;

namespace Mnist.Search.Retraining;

/// <summary>
/// Which process retrains a study's best trial at the end of <c>study start</c>: every coordinator sharing a
/// study sees the budget spent, and each used to retrain (issue 11). The claim is a study system attribute
/// set by compare-and-set, <c>{"trial","host","pid","instance","state":"running"|"done"|"failed","at"}</c>. Its holder
/// renews <c>at</c> every <see cref="RenewEvery"/> while it retrains (<see cref="RetrainClaim"/>.Renewal.cs). A claim is
/// taken over when its process is gone (this host and container: asked directly), when it was not renewed for
/// <see cref="StaleAfter"/> (any host), or when it is for another best trial. A "done" claim for the same trial means
/// there is nothing left to do; <c>study retrain</c> retrains whatever a claim says, except while another process
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
    /// the taker's). Clocks that differ by minutes can make a live claim look stale: the trial is then retrained twice,
    /// each in its own folder, and either complete model ends in <c>best/</c>.
    /// </remarks>
    public static readonly TimeSpan StaleAfter = StorageOutage.RideOut + 2 * RenewEveryDefault;

    private readonly IStudyStorage _storage;
    private readonly int _studyId;
    private readonly int _trialNumber;
    private readonly ILogger _log;

    // The claim's text as this process last stored it: the expected value of its next compare-and-set. Only the renewal
    // writes it while it runs; EndAsync stops the renewal before it reads it.
    private string _current;

    private RetrainClaim(IStudyStorage storage, int studyId, int trialNumber, ILogger log, string current, TimeSpan renewEvery)
    {
        _storage = storage;
        _studyId = studyId;
        _trialNumber = trialNumber;
        _log = log;
        _current = current;
        _renewal = RenewAsync(renewEvery);
    }

    /// <summary>
    /// The claim for <paramref name="trialNumber"/>, renewing itself until <see cref="EndAsync"/> or disposal; or null with
    /// <paramref name="why"/> saying who has it. <paramref name="again"/> (<c>study retrain</c>) takes it over a "done"
    /// claim and over a live one for another trial too, but never from a live retrain of any trial: two retrains of one
    /// study at once would share its machine for nothing. <paramref name="renewEvery"/> is for tests (default
    /// <see cref="RenewEvery"/>).
    /// </summary>
    public static async Task<(RetrainClaim? Claim, string Why)> TryTakeAsync(IStudyStorage storage, int studyId, int trialNumber, ILogger log,
        CancellationToken ct, TimeSpan? renewEvery = null, bool again = false)
    {
        var attrs = await storage.GetStudySystemAttributesAsync(studyId, ct);
        var existing = attrs.GetValueOrDefault(Attribute);
        if (Parse(existing) is { } held)
        {
            var heldTrial = (int?)held["trial"];
            if (again && IsLive(held)) return (null, $"trial {heldTrial} is being retrained by {Owner(held)}");
            if (!again && heldTrial == trialNumber)
            {
                if ((string?)held["state"] == "done") return (null, $"trial {trialNumber} was already retrained by {Owner(held)}");
                if (IsLive(held)) return (null, $"trial {trialNumber} is being retrained by {Owner(held)}");
            }
        }
        var mine = Value(trialNumber, "running");
        return await storage.CompareAndSetStudySystemAttrAsync(studyId, Attribute, existing, mine, ct)
            ? (new RetrainClaim(storage, studyId, trialNumber, log, StoredText(mine), renewEvery ?? RenewEvery), "")
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
    /// Stops renewing and marks the retrain done (nobody needs to redo it), or failed (anyone may take it over). A claim
    /// another process took over meanwhile is left as that process wrote it.
    /// </summary>
    public async Task EndAsync(bool done)
    {
        await StopRenewingAsync();
        if (_lost) return;
        bool written;
        // A study deleted meanwhile has no claim left to end; called from a catch, this must not hide why the retrain ended.
        try { written = await WriteAsync(Value(_trialNumber, done ? "done" : "failed"), CancellationToken.None); }
        catch (RowNotFoundException) { return; }
        if (!written)
            _log.Warning("The retrain claim of trial {Trial} was taken over by another process; it is left as that process wrote it", _trialNumber);
    }

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

    private static JsonObject Value(int trialNumber, string state) => new()
    {
        ["trial"] = trialNumber,
        ["host"] = Environment.MachineName,
        ["pid"] = Environment.ProcessId,
        ["instance"] = ProcessIdentity.Current.Instance,
        ["state"] = state,
        ["at"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
    };
}
