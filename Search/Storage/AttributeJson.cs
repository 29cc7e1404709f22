using System.Text.Json;

namespace Mnist.Search.Storage;

/// <summary>Attribute values are stored as JSON texts (Optuna's <c>value_json</c>); reject what Optuna could not load.</summary>
internal static class AttributeJson
{
    public static void Validate(string key, string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var _ = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"attribute '{key}': value is not JSON ({e.Message}): {json}", nameof(json), e);
        }
    }
}
