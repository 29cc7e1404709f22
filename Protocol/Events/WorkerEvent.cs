using System.Text.Json;

namespace Mnist.Protocol.Events;

/// <summary>
/// One stdout line of the worker (see docs/worker-protocol.md), parsed. Lines that are not JSON objects
/// with an <c>event</c> field are <see cref="Unknown"/> — a custom trainer may print other things — but a
/// line that starts like an object and is not valid JSON (a bare <c>NaN</c>), or an epoch event without an
/// integer epoch, is <see cref="Malformed"/>: silently skipping it once let a trial end COMPLETE on values
/// nobody checked (issue 11).
/// </summary>
public abstract record WorkerEvent
{
    public sealed record Start(JsonElement Body) : WorkerEvent
    {
        /// <summary>Why the worker, asked for oneDNN, trains without it; null when it was not asked or uses it.</summary>
        public string? OneDnnRefused =>
            Body.TryGetProperty(EventFields.OneDnnRefused, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    public sealed record Epoch(int Number, JsonElement Body) : WorkerEvent
    {
        /// <summary>A numeric field of the epoch (NaN when null, missing or a non-finite marker).</summary>
        public double Field(string name) => ReadNumber(Body, name);

        /// <summary>The epochs the worker now plans to run (it plans fewer to fit its time), or <paramref name="configured"/>
        /// when the epoch does not say (a custom trainer).</summary>
        public int PlannedEpochs(int configured) =>
            Field(EventFields.EpochsPlanned) is var planned && double.IsFinite(planned) && planned >= 1 ? (int)planned : configured;
    }

    public sealed record Result(string State, JsonElement Body) : WorkerEvent
    {
        public double Field(string name) => ReadNumber(Body, name);
        public string? Text(string name) => Body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    public sealed record Error(string Message) : WorkerEvent;

    public sealed record Unknown(string Line) : WorkerEvent;

    /// <summary>A line that breaks the protocol; <see cref="Reason"/> says how (raw: sanitize before showing it).</summary>
    public sealed record Malformed(string Reason) : WorkerEvent;

    public static WorkerEvent Parse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement.Clone();
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(EventNames.EventField, out var ev)) return new Unknown(line);
            return ev.ValueKind != JsonValueKind.String ? new Unknown(line) : ev.GetString() switch
            {
                EventNames.Start => new Start(root),
                EventNames.Epoch when root.TryGetProperty(EventFields.EpochNumber, out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var epoch) => new Epoch(epoch, root),
                EventNames.Epoch => new Malformed($"an {EventNames.Epoch} event without an integer \"{EventFields.EpochNumber}\""),
                EventNames.Result => new Result(root.TryGetProperty(EventFields.State, out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() ?? "" : "", root),
                EventNames.Error => new Error(root.TryGetProperty(EventFields.Message, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? "(no message)" : "(no message)"),
                _ => new Unknown(line),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return !line.TrimStart().StartsWith('{') ? new Unknown(line)
                : BareNonFinite(line) is { } found ? new Malformed(
                    $"not valid JSON: non-finite number (bare {found.Token}){(found.Field is null ? "" : $" after \"{found.Field}\"")}: JSON has no NaN or Infinity; " +
                    "write null (Python's json.dumps writes NaN and Infinity unless given allow_nan=False: map them to None)")
                : new Malformed($"not valid JSON ({e.Message})");
        }
    }

    /// <summary>Longest field name quoted in a message.</summary>
    private const int MaxFieldChars = 64;

    /// <summary>
    /// The bare <c>NaN</c>, <c>Infinity</c> or <c>-Infinity</c> that made <paramref name="line"/> invalid JSON, and the field
    /// it is the value of (null when it is not a field's), or null when something else did. Python's json.dumps writes
    /// them so by default: the parser's "'N' is an invalid start of a value ... BytePositionInLine: 113" said neither.
    /// </summary>
    private static (string Token, string? Field)? BareNonFinite(string line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        string? field = null;
        try
        {
            while (reader.Read())
                field = reader.TokenType == JsonTokenType.PropertyName ? reader.GetString() : null;
            return null;
        }
        catch (JsonException)
        {
            // The reader stops at the token it cannot read; its value starts after the last whole token.
            var rest = System.Text.Encoding.UTF8.GetString(bytes, (int)reader.BytesConsumed, bytes.Length - (int)reader.BytesConsumed)
                .TrimStart(' ', '\t', ':', ',', '[');
            foreach (var token in new[] { "NaN", "Infinity", "-Infinity" })
                if (rest.StartsWith(token, StringComparison.Ordinal))
                    return (token, field is { Length: > MaxFieldChars } ? field[..MaxFieldChars] + "…" : field);
            return null;
        }
    }

    private static double ReadNumber(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? (v.TryGetDouble(out var x) ? x : double.NaN)
        : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var d) ? d
        : double.NaN;
}
