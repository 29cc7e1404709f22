using Mnist.Protocol.Datasets;

namespace Mnist.Trials.Data;

/// <summary>
/// A known MNIST-format dataset: its normalisation constants (mean/std of the training pixels in
/// [0,1]) and class names. The constants are recorded in the checkpoint sidecar so that prediction
/// normalises exactly as training did.
/// </summary>
internal sealed record DatasetInfo(string Name, double Mean, double Std, IReadOnlyList<string> ClassNames)
{
    public static readonly DatasetInfo Mnist = new(DatasetNames.Mnist, 0.1307, 0.3081,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    // Per-dataset constants: Fashion-MNIST's pixel statistics differ a lot from MNIST's (measured on its 60k training images).
    public static readonly DatasetInfo FashionMnist = new(DatasetNames.FashionMnist, 0.2860, 0.3530,
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    public static IReadOnlyList<DatasetInfo> All { get; } = [Mnist, FashionMnist];

    /// <summary>Finds a dataset by name (case-insensitive); null when unknown.</summary>
    public static DatasetInfo? Find(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}
