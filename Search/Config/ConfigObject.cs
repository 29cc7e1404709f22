using System.Text.Json;

namespace Mnist.Search.Config;

/// <summary>One JSON object of the config with its path, members in file order, and typed optional/required reads.</summary>
internal sealed class ConfigObject(ConfigReader reader, string path, IReadOnlyList<KeyValuePair<string, JsonElement>> members)
{
    public string Path { get; } = path;

    public IReadOnlyList<KeyValuePair<string, JsonElement>> Members { get; } = members;

    public string PathOf(string key) => ConfigReader.Child(Path, key);

    public bool TryGet(string key, out JsonElement value)
    {
        foreach (var m in Members)
        {
            if (m.Key != key) continue;
            value = m.Value;
            return true;
        }
        value = default;
        return false;
    }

    public JsonElement Required(string key) =>
        TryGet(key, out var value) ? value : throw reader.Error(PathOf(key), "required key is missing");

    public string RequiredString(string key) => reader.String(Required(key), PathOf(key));

    public string? OptionalString(string key) =>
        TryGet(key, out var v) ? reader.String(v, PathOf(key)) : null;

    public string? OptionalPath(string key) =>
        TryGet(key, out var v) ? reader.PathString(v, PathOf(key)) : null;

    public string OneOf(string key, string fallback, params string[] allowed) =>
        TryGet(key, out var v) ? reader.OneOf(v, PathOf(key), allowed) : fallback;

    public int Int(string key, int fallback, int min, int max = int.MaxValue) =>
        TryGet(key, out var v) ? reader.Int(v, PathOf(key), min, max) : fallback;

    public int? OptionalInt(string key, int min, int max = int.MaxValue) =>
        TryGet(key, out var v) && v.ValueKind != JsonValueKind.Null ? reader.Int(v, PathOf(key), min, max) : null;

    public bool Bool(string key, bool fallback) =>
        TryGet(key, out var v) ? reader.Bool(v, PathOf(key)) : fallback;

    /// <summary>A number of minutes <see cref="MinutesRule"/> allows, or null when absent or null.</summary>
    public TimeSpan? Minutes(string key)
    {
        if (!TryGet(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        var minutes = reader.Number(v, PathOf(key));
        if (MinutesRule.Refusal(minutes) is { } refusal)
            throw reader.Error(PathOf(key), refusal, v);
        return TimeSpan.FromMinutes(minutes);
    }
}
