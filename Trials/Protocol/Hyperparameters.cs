using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Mnist.Protocol.Hyperparameters;
using Default = Mnist.Protocol.Hyperparameters.HyperparameterDefaults;

namespace Mnist.Trials.Protocol;

/// <summary>
/// The worker's typed view of one trial's hyperparameters: the spec's validated values with every
/// default filled in. Names, ranges and defaults live in <see cref="HyperparameterTable"/>; this record
/// only gives each one a C# type (a test checks that the two list the same names). Serialised with
/// these snake_case names in the <c>start</c> event and in the checkpoint sidecar.
/// </summary>
internal sealed record Hyperparameters
{
    /// <summary>The record for validated values (<c>TrialSpec.ResolvedHyperparameters</c>), by their snake_case names.</summary>
    public static Hyperparameters From(IReadOnlyDictionary<string, object> values)
    {
        var json = new JsonObject();
        foreach (var (name, value) in values)
            json[name] = value switch
            {
                long l => l,
                double d => d,
                bool b => b,
                _ => (string)value,
            };
        return json.Deserialize<Hyperparameters>(JsonOptions)!;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    [JsonPropertyName("conv_layers")] public int ConvLayers { get; init; } = Default.Int("conv_layers");
    [JsonPropertyName("conv1_channels")] public int Conv1Channels { get; init; } = Default.Int("conv1_channels");
    [JsonPropertyName("conv2_channels")] public int Conv2Channels { get; init; } = Default.Int("conv2_channels");
    [JsonPropertyName("conv3_channels")] public int Conv3Channels { get; init; } = Default.Int("conv3_channels");
    [JsonPropertyName("conv4_channels")] public int Conv4Channels { get; init; } = Default.Int("conv4_channels");
    [JsonPropertyName("kernel_size")] public int KernelSize { get; init; } = Default.Int("kernel_size");
    [JsonPropertyName("batch_norm")] public bool BatchNorm { get; init; } = Default.Bool("batch_norm");
    [JsonPropertyName("fc_layers")] public int FcLayers { get; init; } = Default.Int("fc_layers");
    [JsonPropertyName("fc_width")] public int FcWidth { get; init; } = Default.Int("fc_width");
    [JsonPropertyName("fc2_width")] public int Fc2Width { get; init; } = Default.Int("fc2_width");
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = Default.Double("dropout");
    [JsonPropertyName("optimizer")] public string Optimizer { get; init; } = Default.String("optimizer");
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = Default.Double("learning_rate");
    [JsonPropertyName("momentum")] public double Momentum { get; init; } = Default.Double("momentum");
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = Default.Double("weight_decay");
    [JsonPropertyName("lr_schedule")] public string LrSchedule { get; init; } = Default.String("lr_schedule");
    [JsonPropertyName("lr_step_size")] public int LrStepSize { get; init; } = Default.Int("lr_step_size");
    [JsonPropertyName("lr_gamma")] public double LrGamma { get; init; } = Default.Double("lr_gamma");
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = Default.Int("batch_size");
    [JsonPropertyName("rotation_degrees")] public double RotationDegrees { get; init; } = Default.Double("rotation_degrees");
    [JsonPropertyName("translate_fraction")] public double TranslateFraction { get; init; } = Default.Double("translate_fraction");
    [JsonPropertyName("scale_fraction")] public double ScaleFraction { get; init; } = Default.Double("scale_fraction");

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
