using System.Text.Json.Serialization;

namespace Mnist.Inference.Predictions;

/// <summary>What <c>predict</c> reports for one image: the most likely digit, its probability, and the top-k.</summary>
/// <param name="Digit">The arg-max class (ties go to the lower digit).</param>
/// <param name="Probability">Softmax probability of <paramref name="Digit"/>.</param>
/// <param name="Top">The k most likely classes, most likely first; <c>Top[0]</c> is the prediction itself.</param>
internal sealed record Prediction(
    [property: JsonPropertyName("digit")] int Digit,
    [property: JsonPropertyName("probability")] double Probability,
    [property: JsonPropertyName("top")] IReadOnlyList<DigitProbability> Top)
{
    /// <summary>Builds the prediction from one image's raw logits.</summary>
    /// <exception cref="ArgumentException">No logits, a non-finite logit, or k below 1.</exception>
    public static Prediction FromLogits(ReadOnlySpan<float> logits, int topK = 3)
    {
        var top = PredictionMath.TopK(PredictionMath.Softmax(logits), topK);
        return new Prediction(top[0].Digit, top[0].Probability, top);
    }
}
