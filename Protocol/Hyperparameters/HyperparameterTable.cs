using System.Text;
using static Mnist.Protocol.Hyperparameters.HyperparameterKind;

namespace Mnist.Protocol.Hyperparameters;

/// <summary>
/// Every hyperparameter the worker understands, once (issue 10). <c>search.json</c> validation, the
/// worker's spec validation, the worker's typed <c>Hyperparameters</c> record, the README table and
/// the table in docs/worker-protocol.md are all checked against this list by tests. To add a
/// hyperparameter: add its row here and use it in the worker; nothing else.
/// </summary>
/// <remarks>
/// The ranges are what the worker can train. Where the coordinator's old copy was wider (channels up to
/// 4096, <c>kernel_size</c> 9, <c>fc_width</c> 65536, <c>dropout</c> 0.99, momentum 1, shift/zoom 1), a
/// value in the gap passed config validation and then failed every trial; the worker's limits won.
/// </remarks>
public static class HyperparameterTable
{
    private const string ChannelsOf = "output channels of conv block ";

    /// <summary>All rows, in the worker's order.</summary>
    public static IReadOnlyList<Hyperparameter> All { get; } =
    [
        new("conv_layers", Int, 2L, "conv blocks: Conv2d (same padding; no bias with BatchNorm) → [BatchNorm2d] → ReLU → MaxPool2d(2)", 1, 4),
        new("conv1_channels", Int, 32L, ChannelsOf + "1", 1, 1024),
        new("conv2_channels", Int, 64L, ChannelsOf + "2", 1, 1024, Use: new("conv_layers", AtLeast: 2)),
        new("conv3_channels", Int, 128L, ChannelsOf + "3", 1, 1024, Use: new("conv_layers", AtLeast: 3)),
        new("conv4_channels", Int, 256L, ChannelsOf + "4", 1, 1024, Use: new("conv_layers", AtLeast: 4)),
        // Odd only: "same" padding of (k - 1) / 2 keeps the image size for odd kernels alone.
        new("kernel_size", Int, 3L, "conv kernel", 1, 7, OddOnly: true),
        new("batch_norm", Bool, true, "BatchNorm2d after each conv, its statistics re-estimated on clean training images after every epoch"),
        new("fc_layers", Int, 1L, "hidden FC layers (`fc_width`, then `fc2_width`), each Linear → ReLU → Dropout, then Linear → 10", 1, 2),
        new("fc_width", Int, 128L, "width of the first hidden FC layer", 1, 8192),
        new("fc2_width", Int, 64L, "width of the second hidden FC layer", 1, 8192, Use: new("fc_layers", AtLeast: 2)),
        // A dropout of 1 zeroes every activation: nothing can be learnt.
        new("dropout", Float, 0.25, "after each hidden FC layer (0 = none)", 0, 0.95),
        new("optimizer", HyperparameterKind.String, "adam", "SGD uses `momentum`", Allowed: ["adam", "sgd"]),
        new("learning_rate", Float, 0.001, "base rate", 1e-12, 10),
        // Momentum 1 never forgets a gradient: SGD does not converge.
        new("momentum", Float, 0.9, "SGD momentum", 0, 0.999, Use: new("optimizer", Is: "sgd")),
        new("weight_decay", Float, 0.0, "L2, passed to the optimizer", 0, 1),
        new("lr_schedule", HyperparameterKind.String, "none", "cosine: per step from the base rate to 0 over all epochs; step: × `lr_gamma` every `lr_step_size` epochs", Allowed: ["none", "cosine", "step"]),
        new("lr_step_size", Int, 1L, "epochs between two steps of the `step` schedule", 1, 10_000, Use: new("lr_schedule", Is: "step")),
        new("lr_gamma", Float, 0.5, "factor of the `step` schedule", 1e-6, 1, Use: new("lr_schedule", Is: "step")),
        new("batch_size", Int, 128L, "training batch", 1, 65_536),
        new("rotation_degrees", Float, 0.0, "augmentation: uniform rotation in ±degrees", 0, 180),
        // More than half the side shifts or shrinks the digit out of the 28×28 frame.
        new("translate_fraction", Float, 0.0, "augmentation: uniform shift in ±fraction of the image side, x and y", 0, 0.5),
        new("scale_fraction", Float, 0.0, "augmentation: uniform zoom in 1 ± fraction", 0, 0.5),
    ];

    private static readonly Dictionary<string, Hyperparameter> ByName = All.ToDictionary(h => h.Name, StringComparer.Ordinal);

    /// <summary>The row of <paramref name="name"/>, or null when the worker does not know it.</summary>
    public static Hyperparameter? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The row of <paramref name="name"/>; throws for a name the table does not have.</summary>
    public static Hyperparameter Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown hyperparameter \"{name}\"", nameof(name));

    /// <summary>The known names, comma separated, for error messages.</summary>
    public static string Listing => string.Join(", ", All.Select(h => h.Name));

    /// <summary>Every default, by name (canonical values: long, double, bool, string).</summary>
    public static IReadOnlyDictionary<string, object> Defaults { get; } = All.ToDictionary(h => h.Name, h => h.Default, StringComparer.Ordinal);

    /// <summary>
    /// Whether the model reads <paramref name="name"/>, given the values in effect of the hyperparameters a study does not
    /// search (<paramref name="notSearched"/>: each fixed one's value, else its default). One with no condition always is;
    /// one whose condition's hyperparameter is searched is read by some trials. The one rule behind refusing an unread
    /// hyperparameter in a new configuration and ignoring one when a stored configuration is compared.
    /// </summary>
    public static bool IsRead(string name, IReadOnlyDictionary<string, object> notSearched) =>
        Find(name)?.Use is not { } use || !notSearched.TryGetValue(use.Name, out var value) || use.Holds(value);

    /// <summary>
    /// The Markdown table that README.md and docs/worker-protocol.md carry between
    /// <c>&lt;!-- hyperparameters:begin --&gt;</c> and <c>&lt;!-- hyperparameters:end --&gt;</c>
    /// (a test checks that they match).
    /// </summary>
    public static string ToMarkdown()
    {
        var md = new StringBuilder();
        md.Append("| name | kind | values | default | meaning |\n");
        md.Append("| --- | --- | --- | --- | --- |\n");
        foreach (var h in All)
            md.Append($"| `{h.Name}` | {h.Kind.ToString().ToLowerInvariant()} | {h.ValuesCell} | `{h.DefaultJson}` | {h.Meaning} |\n");
        return md.ToString();
    }
}
