using System.Text.Json.Serialization;
using Mnist.Trials.Protocol;

namespace Mnist.Trials.Model;

/// <summary>
/// <c>model.json</c>, written beside <c>model.bin</c>: everything needed to rebuild and feed the
/// network without the spec — architecture, input shape, normalisation and class names.
/// </summary>
internal sealed record ModelSidecar
{
    public const int CurrentFormatVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    [JsonPropertyName("architecture")] public required Hyperparameters Architecture { get; init; }

    /// <summary>Shape of one input image, channels first: <c>[1, 28, 28]</c>.</summary>
    [JsonPropertyName("input_shape")] public required int[] InputShape { get; init; }

    [JsonPropertyName("normalization")] public required NormalizationInfo Normalization { get; init; }
    [JsonPropertyName("class_names")] public required IReadOnlyList<string> ClassNames { get; init; }
    [JsonPropertyName("dataset")] public required string Dataset { get; init; }

    /// <summary>
    /// How images are shaped for this model (an image recipe's name), as <c>study export</c> records it for callers
    /// outside this tool; absent in a trial's own checkpoint, whose dataset decides (<c>ImageRecipe.Of</c>).
    /// </summary>
    [JsonPropertyName("preprocessing"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Preprocessing { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("val_accuracy")] public double? ValAccuracy { get; init; }
    [JsonPropertyName("full_train")] public bool FullTrain { get; init; }
    [JsonPropertyName("torchsharp_version")] public string? TorchSharpVersion { get; init; }
    [JsonPropertyName("created_utc")] public DateTimeOffset CreatedUtc { get; init; }
}
