using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Events;

namespace Mnist.Trials.Protocol;

/// <summary>
/// Writes protocol events as single JSON lines and flushes each one, so the coordinator sees an event
/// the moment it happens. Thread-safe; non-finite numbers are written as <c>null</c> (JSON has no NaN).
/// </summary>
internal sealed class EventWriter(Stream output)
{
    private readonly object gate = new();

    public static EventWriter ForStandardOutput() => new(Console.OpenStandardOutput());

    /// <summary>Writes <paramref name="fields"/> with <c>"event": name</c> first.</summary>
    public void Write(string name, JsonObject fields)
    {
        var line = new JsonObject { [EventNames.EventField] = name };
        foreach (var (key, value) in fields.ToList())
        {
            fields.Remove(key);
            line[key] = value;
        }
        byte[] bytes = Encoding.UTF8.GetBytes(line.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) + "\n");
        lock (gate)
        {
            output.Write(bytes);
            output.Flush();
        }
    }

    /// <summary>
    /// A JSON number as computed (written in the shortest form that reads back to the same double), or null for a
    /// missing or non-finite value. Not rounded: 6 decimal places printed a learning rate of 1e-7 as 0, and would
    /// have tied every val_loss below 5e-7 in the study, which stores the value as the worker reports it.
    /// </summary>
    public static JsonNode? Number(double? value) =>
        value is double v && double.IsFinite(v) ? JsonValue.Create(v) : null;
}
