using System.Text.Json.Serialization;

namespace Mnist.Trials.Protocol;

/// <summary>
/// The resolved hyperparameters of one trial (the spec's <c>hyperparameters</c> object with every
/// default filled in). Defaults are a 2-conv + 1-FC CNN with BatchNorm and Adam (docs/worker-protocol.md).
/// Serialised with these snake_case names in the <c>start</c> event and in the checkpoint sidecar.
/// </summary>
internal sealed record Hyperparameters
{
    [JsonPropertyName("conv_layers")] public int ConvLayers { get; init; } = 2;
    [JsonPropertyName("conv1_channels")] public int Conv1Channels { get; init; } = 32;
    [JsonPropertyName("conv2_channels")] public int Conv2Channels { get; init; } = 64;
    [JsonPropertyName("conv3_channels")] public int Conv3Channels { get; init; } = 128;
    [JsonPropertyName("conv4_channels")] public int Conv4Channels { get; init; } = 256;
    [JsonPropertyName("kernel_size")] public int KernelSize { get; init; } = 3;
    [JsonPropertyName("batch_norm")] public bool BatchNorm { get; init; } = true;
    [JsonPropertyName("fc_layers")] public int FcLayers { get; init; } = 1;
    [JsonPropertyName("fc_width")] public int FcWidth { get; init; } = 128;
    [JsonPropertyName("fc2_width")] public int Fc2Width { get; init; } = 64;
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = 0.25;
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = "adam";
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 0.001;
    [JsonPropertyName("momentum")] public double Momentum { get; init; } = 0.9;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    [JsonPropertyName("lr_schedule")] public string LrSchedule { get; init; } = "none";
    [JsonPropertyName("lr_step_size")] public int LrStepSize { get; init; } = 1;
    [JsonPropertyName("lr_gamma")] public double LrGamma { get; init; } = 0.5;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 128;
    [JsonPropertyName("rotation_degrees")] public double RotationDegrees { get; init; }
    [JsonPropertyName("translate_fraction")] public double TranslateFraction { get; init; }
    [JsonPropertyName("scale_fraction")] public double ScaleFraction { get; init; }

    /// <summary>Output channels of each conv block, first to last (<see cref="ConvLayers"/> entries).</summary>
    [JsonIgnore]
    public IReadOnlyList<int> ConvChannels =>
        new[] { Conv1Channels, Conv2Channels, Conv3Channels, Conv4Channels }[..ConvLayers];

    /// <summary>Widths of the hidden fully connected layers (<see cref="FcLayers"/> entries).</summary>
    [JsonIgnore]
    public IReadOnlyList<int> FcWidths => FcLayers == 1 ? [FcWidth] : [FcWidth, Fc2Width];

    [JsonIgnore]
    public bool AugmentationEnabled => RotationDegrees > 0 || TranslateFraction > 0 || ScaleFraction > 0;
}
