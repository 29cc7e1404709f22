using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnist.Inference.Predictions;

/// <summary>
/// One entry of <c>predict</c>'s JSON array, the same whichever runtime computed it: every entry has every key of
/// <see cref="Keys"/>, null where it has none (an answered image's <c>error</c>; a failed one's <c>digit</c>,
/// <c>class_name</c>, <c>probability</c>, <c>top</c>), as <c>trials list|show</c> do. An answered entry had no
/// <c>error</c> and a failed one only <c>image</c> and <c>error</c>, so typed decoders had to special-case predict
/// (audit-ops 5). Each of <c>top</c>'s entries has <c>digit</c>, <c>probability</c> and <c>class_name</c>.
/// </summary>
internal static class PredictionJson
{
    /// <summary>The keys of every entry, in order.</summary>
    public static readonly string[] Keys = ["image", "digit", "class_name", "probability", "top", "error"];

    public static JsonObject Entry(string image, Prediction prediction, IReadOnlyList<string> classNames)
    {
        var answer = JsonSerializer.SerializeToNode(prediction)!.AsObject();
        // The top-k by name too: a Fashion-MNIST model's "top" was indexes only, which say nothing without the class list.
        foreach (var top in answer["top"]!.AsArray())
            top!["class_name"] = (int)top["digit"]! is var index && index < classNames.Count ? classNames[index] : null;
        return InKeysOrder(new Dictionary<string, JsonNode?>
        {
            ["image"] = image,
            ["digit"] = prediction.Digit,
            ["class_name"] = prediction.Digit < classNames.Count ? classNames[prediction.Digit] : null,
            ["probability"] = answer["probability"]!.DeepClone(),
            ["top"] = answer["top"]!.DeepClone(),
            ["error"] = null,
        });
    }

    // Every key of Keys, in its order, and no other: a key added here and not there (or the reverse) is a bug found at once.
    private static JsonObject InKeysOrder(Dictionary<string, JsonNode?> values)
    {
        if (values.Count != Keys.Length || Keys.Any(k => !values.ContainsKey(k)))
            throw new InvalidOperationException($"a predict entry has keys {string.Join(", ", values.Keys)}, not those of PredictionJson.Keys");
        var entry = new JsonObject();
        foreach (var key in Keys) entry[key] = values[key];
        return entry;
    }

    /// <summary>A failed image's entry: every key of <see cref="Keys"/>, null but its image and error.</summary>
    public static JsonObject Error(string image, string message)
    {
        var values = Keys.ToDictionary(k => k, _ => (JsonNode?)null);
        values["image"] = image;
        values["error"] = message;
        return InKeysOrder(values);
    }
}
