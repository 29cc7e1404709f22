using System.Text.Json;

namespace Mnist.Protocol.Specs;

/// <summary>Typed, range-checked reads of optional spec keys; null or absent means "the default" (returned as null).</summary>
internal sealed class SpecReader(string source)
{
    public string Source => source;

    /// <summary>A JSON scalar as a plain value (long for integral numbers, double, bool, string); null for anything else.</summary>
    public static object? Plain(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number when v.TryGetInt64(out var l) => l,
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => v.GetString(),
        _ => null,
    };

    public static string Show(JsonElement v) => v.ValueKind == JsonValueKind.String ? $"\"{v.GetString()}\"" : v.GetRawText();

    private SpecException Bad(string name, JsonElement v, string expected) =>
        new($"{source}: $.{name}: {Show(v)} is not valid (expected {expected})");

    private static bool TryGet(JsonElement obj, string name, out JsonElement v) =>
        obj.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Null;

    public int? Int(JsonElement obj, string name, int min, int max)
    {
        if (!TryGet(obj, name, out var v)) return null;
        // Samplers may send integers as 32.0; accept any integral number.
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double x) || x != Math.Floor(x) || x < min || x > max)
            throw Bad(name, v, $"an integer in {min}..{max}");
        return (int)x;
    }

    public bool? Bool(JsonElement obj, string name)
    {
        if (!TryGet(obj, name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(name, v, "true or false"),
        };
    }

    public string? String(JsonElement obj, string name)
    {
        if (!TryGet(obj, name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
            throw Bad(name, v, "a non-empty string");
        return v.GetString();
    }

    public string? Choice(JsonElement obj, string name, IReadOnlyList<string> choices)
    {
        if (!TryGet(obj, name, out var v)) return null;
        string? s = v.ValueKind == JsonValueKind.String ? v.GetString()?.ToLowerInvariant() : null;
        if (s is null || !choices.Contains(s))
            throw Bad(name, v, "one of " + string.Join(", ", choices.Select(c => $"\"{c}\"")));
        return s;
    }
}
