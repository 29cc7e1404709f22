using System.Text.Json;

namespace Mnist.Search.Workers;

/// <summary>
/// One stdout line of the worker (see docs/worker-protocol.md), parsed. Lines that are not JSON objects
/// with an <c>event</c> field are <see cref="Unknown"/> — a custom trainer may print other things.
/// </summary>
public abstract record WorkerEvent
{
    public sealed record Start(JsonElement Body) : WorkerEvent;

    public sealed record Epoch(int Number, JsonElement Body) : WorkerEvent
    {
        /// <summary>A numeric field of the epoch (NaN when null, missing or a non-finite marker).</summary>
        public double Field(string name) => ReadNumber(Body, name);
    }

    public sealed record Result(string State, JsonElement Body) : WorkerEvent
    {
        public double Field(string name) => ReadNumber(Body, name);
        public string? Text(string name) => Body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    public sealed record Error(string Message) : WorkerEvent;

    public sealed record Unknown(string Line) : WorkerEvent;

    public static WorkerEvent Parse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement.Clone();
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("event", out var ev)) return new Unknown(line);
            return ev.GetString() switch
            {
                "start" => new Start(root),
                "epoch" when root.TryGetProperty("epoch", out var n) && n.TryGetInt32(out var epoch) => new Epoch(epoch, root),
                "result" => new Result(root.TryGetProperty("state", out var s) ? s.GetString() ?? "" : "", root),
                "error" => new Error(root.TryGetProperty("message", out var m) ? m.GetString() ?? "(no message)" : "(no message)"),
                _ => new Unknown(line),
            };
        }
        catch (JsonException)
        {
            return new Unknown(line);
        }
    }

    private static double ReadNumber(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
        : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var d) ? d
        : double.NaN;
}
