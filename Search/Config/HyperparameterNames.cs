namespace Mnist.Search.Config;

/// <summary>
/// The trial worker's hyperparameter names (see <c>docs/worker-protocol.md</c>), each with its kind and
/// the values the worker accepts. <c>search.json</c>'s <c>space</c> and <c>fixed</c> are checked
/// against this list so that a typo fails at load time rather than in every trial.
/// </summary>
public static class HyperparameterNames
{
    private static readonly HyperparameterSpec Channels = new(HyperparameterKind.Int, 1, 4096);
    private static readonly HyperparameterSpec Fraction = new(HyperparameterKind.Float, 0, 1);

    /// <summary>All names in the worker's order.</summary>
    public static IReadOnlyList<KeyValuePair<string, HyperparameterSpec>> All { get; } =
    [
        new("conv_layers", new(HyperparameterKind.Int, 1, 4)),
        new("conv1_channels", Channels),
        new("conv2_channels", Channels),
        new("conv3_channels", Channels),
        new("conv4_channels", Channels),
        new("kernel_size", new(HyperparameterKind.Int, 1, 9)),
        new("batch_norm", new(HyperparameterKind.Bool)),
        new("fc_layers", new(HyperparameterKind.Int, 1, 2)),
        new("fc_width", new(HyperparameterKind.Int, 1, 65536)),
        new("fc2_width", new(HyperparameterKind.Int, 1, 65536)),
        // A dropout of exactly 1 zeroes every activation: the worker cannot learn anything.
        new("dropout", new(HyperparameterKind.Float, 0, 0.99)),
        new("optimizer", new(HyperparameterKind.String, Allowed: ["adam", "sgd"])),
        new("learning_rate", new(HyperparameterKind.Float, 1e-12, 10)),
        new("momentum", Fraction),
        new("weight_decay", new(HyperparameterKind.Float, 0, 1)),
        new("lr_schedule", new(HyperparameterKind.String, Allowed: ["none", "cosine", "step"])),
        new("lr_step_size", new(HyperparameterKind.Int, 1, 10000)),
        new("lr_gamma", new(HyperparameterKind.Float, 1e-6, 1)),
        new("batch_size", new(HyperparameterKind.Int, 1, 60000)),
        new("rotation_degrees", new(HyperparameterKind.Float, 0, 180)),
        new("translate_fraction", Fraction),
        new("scale_fraction", Fraction),
    ];

    private static readonly Dictionary<string, HyperparameterSpec> ByName = All.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>The spec of <paramref name="name"/>, or null when the worker does not know it.</summary>
    public static HyperparameterSpec? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The known names, comma separated, for error messages.</summary>
    public static string Listing => string.Join(", ", All.Select(p => p.Key));
}
