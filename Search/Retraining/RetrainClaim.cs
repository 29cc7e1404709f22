using Mnist.Search.Study;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Retraining;

/// <summary>
/// Which process retrains a study's best trial at the end of <c>study start</c>: every coordinator sharing a
/// study sees the budget spent, and each used to retrain (issue 11). The claim is a study system attribute
/// set by compare-and-set, <c>{"trial","host","pid","state":"running"|"done","at"}</c>. A claim is taken over
/// when its process is gone (same host, pid dead) or it is older than <see cref="StaleAfter"/> (another host's
/// process cannot be checked), or when it is for another best trial. A "done" claim for the same trial means
/// there is nothing left to do; <c>study retrain</c> always retrains.
/// </summary>
internal sealed class RetrainClaim
{
    public const string Attribute = "mnist_search:retrain_claim";
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(12);

    private readonly IStudyStorage _storage;
    private readonly int _studyId;
    private string _current;

    private RetrainClaim(IStudyStorage storage, int studyId, string current)
    {
        _storage = storage;
        _studyId = studyId;
        _current = current;
    }

    /// <summary>The claim for <paramref name="trialNumber"/>, or null with <paramref name="why"/> saying who has it.</summary>
    public static async Task<(RetrainClaim? Claim, string Why)> TryTakeAsync(IStudyStorage storage, int studyId, int trialNumber, CancellationToken ct)
    {
        var attrs = await storage.GetStudySystemAttributesAsync(studyId, ct);
        var existing = attrs.GetValueOrDefault(Attribute);
        if (existing is not null && JsonNode.Parse(existing) is JsonObject held && (int?)held["trial"] == trialNumber)
        {
            var owner = $"{(string?)held["host"]} pid {(int?)held["pid"]}";
            if ((string?)held["state"] == "done") return (null, $"trial {trialNumber} was already retrained by {owner}");
            if (IsLive(held)) return (null, $"trial {trialNumber} is being retrained by {owner}");
        }
        var mine = Value(trialNumber, "running");
        return await storage.CompareAndSetStudySystemAttrAsync(studyId, Attribute, existing, mine, ct)
            ? (new RetrainClaim(storage, studyId, StoredText(mine)), "")
            : (null, $"another process claimed the retrain of trial {trialNumber} first");
    }

    /// <summary>Marks the retrain done (nobody needs to redo it), or failed (anyone may take it over).</summary>
    public async Task EndAsync(bool done, int trialNumber)
    {
        var next = Value(trialNumber, done ? "done" : "failed");
        if (await _storage.CompareAndSetStudySystemAttrAsync(_studyId, Attribute, _current, next)) _current = StoredText(next);
    }

    private static bool IsLive(JsonObject claim)
    {
        if ((string?)claim["state"] != "running") return false;
        var at = DateTime.TryParse((string?)claim["at"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : DateTime.MinValue;
        // Its process is asked where that can be told (this host and container); elsewhere the claim's age decides.
        if ((string?)claim["host"] is { } host && (int?)claim["pid"] is { } pid)
        {
            var owner = new ProcessIdentity(host, pid, (string?)claim["instance"]);
            if (ProcessIdentity.Current.IsCertainlyRunning(owner)) return true;
            if (ProcessIdentity.Current.HasCertainlyEnded(owner)) return false;
        }
        return DateTime.UtcNow - at < StaleAfter;
    }

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
