using Mnist.Protocol.Datasets;

namespace Mnist.Inference.Images;

/// <summary>
/// How an image is shaped into a model's 28×28 input. It is a fact of the dataset the model was trained on, so it is
/// decided here, from the dataset, and nowhere else: <see cref="ForDataset"/> is the one table. Exports record its
/// <see cref="Name"/> (the sidecar's and the ONNX metadata's <c>preprocessing</c>) for callers outside this tool.
/// </summary>
/// <param name="Name">What exports record: <c>mnist-digit</c> or <c>resize</c>.</param>
/// <param name="Subject">What the images show, for the ONNX input contract ("digit", "object").</param>
/// <param name="Description">The recipe in words, for the ONNX input contract.</param>
internal sealed record ImageRecipe(string Name, string Subject, string Description)
{
    /// <summary>MNIST's own: crop the ink, scale it into a 20×20 box, place it by its centre of mass in 28×28.</summary>
    public static readonly ImageRecipe MnistDigit = new("mnist-digit", "digit",
        "as MNIST: the digit scaled (aspect kept) to fit a 20x20 box, then placed by its centre of mass in a 28x28 canvas");

    /// <summary>
    /// Fashion-MNIST's: the whole image, light object on dark, padded to a square and resized to 28×28. Its objects
    /// fill the frame; MNIST's crop, 20×20 box and recentring cost a Fashion model 36 points of accuracy.
    /// </summary>
    public static readonly ImageRecipe Resize = new("resize", "object",
        "as Fashion-MNIST: the whole image in grayscale (a light background inverted), padded to a square and resized to 28x28; no cropping or centring");

    public static IReadOnlyList<ImageRecipe> All { get; } = [MnistDigit, Resize];

    /// <summary>The recipe of a known dataset; null for a name this version does not know.</summary>
    public static ImageRecipe? ForDataset(string? dataset) => dataset?.ToLowerInvariant() switch
    {
        DatasetNames.Mnist => MnistDigit,
        DatasetNames.FashionMnist => Resize,
        _ => null,
    };

    /// <summary>The recipe of this name (as recorded); null when there is none or it is unknown.</summary>
    public static ImageRecipe? Named(string? name) => All.FirstOrDefault(r => r.Name == name);

    /// <summary>
    /// A model's recipe: the one it records; for a model exported before recipes were recorded (or a checkpoint,
    /// whose sidecar records the dataset only), its dataset's; for an unknown dataset, its class names: the digits
    /// 0–9 are MNIST's, anything else is taken as an object dataset.
    /// </summary>
    public static ImageRecipe Of(string? recorded, string? dataset, IReadOnlyList<string> classNames) =>
        Named(recorded) ?? ForDataset(dataset)
        ?? (classNames.Count == 10 && classNames.Select((n, i) => n == i.ToString(System.Globalization.CultureInfo.InvariantCulture)).All(b => b) ? MnistDigit : Resize);
}
