using System.Text.Json.Serialization;

namespace Mnist.Trials.Model;

/// <summary>Pixels in [0,1] are normalised as <c>(x - Mean) / Std</c> before entering the network.</summary>
internal sealed record NormalizationInfo(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("std")] double Std);
