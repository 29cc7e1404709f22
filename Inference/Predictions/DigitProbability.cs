using System.Text.Json.Serialization;

namespace Mnist.Inference.Predictions;

/// <summary>One class and the probability the model gives it.</summary>
internal sealed record DigitProbability(
    [property: JsonPropertyName("digit")] int Digit,
    [property: JsonPropertyName("probability")] double Probability);
