using System.Text.Json;

namespace Mnist.Search.Storage;

/// <summary>
/// Attribute values are stored as JSON texts (Optuna's <c>value_json</c>); storage serializes the caller's
/// value itself, so no caller hand-builds JSON, and refuses what Optuna could not load.
/// </summary>
internal static class AttributeJson
{
    /// <summary>Each attribute's JSON text, serialized before a transaction opens (a value that has none fails first).</summary>
    public static IReadOnlyList<(string Key, string Json)> SerializeAll(IReadOnlyDictionary<string, object?>? attrs) =>
        (attrs ?? new Dictionary<string, object?>()).Select(a => (a.Key, Serialize(a.Key, a.Value))).ToList();

    public static string Serialize(string key, object? value)
    {
        try
        {
            return JsonSerializer.Serialize(value);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or JsonException)
        {
            // NaN and infinities have no JSON form; Optuna could not read them back either.
            throw new ArgumentException($"attribute '{key}': {value} cannot be stored as JSON ({e.Message})", nameof(value), e);
        }
    }
}
