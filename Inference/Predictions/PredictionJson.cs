using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnist.Inference.Predictions;

/// <summary>
/// One entry of <c>predict</c>'s JSON array, the same whichever runtime computed it: <c>image</c>, <c>digit</c>,
/// <c>probability</c>, <c>top</c> (each with its <c>class_name</c>) and <c>class_name</c>, or <c>image</c> and <c>error</c>.
/// </summary>
internal static class PredictionJson
{
    public static JsonObject Entry(string image, Prediction prediction, IReadOnlyList<string> classNames)
    {
        var entry = JsonSerializer.SerializeToNode(prediction)!.AsObject();
        entry["image"] = image;
        if (prediction.Digit < classNames.Count) entry["class_name"] = classNames[prediction.Digit];
        // The top-k by name too: a Fashion-MNIST model's "top" was indexes only, which say nothing without the class list.
        foreach (var top in entry["top"]!.AsArray())
            if ((int)top!["digit"]! is var index && index < classNames.Count) top["class_name"] = classNames[index];
        return entry;
    }

    public static JsonObject Error(string image, string message) => new() { ["image"] = image, ["error"] = message };
}
