using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Trials.Data;

/// <summary>
/// Finds the four IDX files of a dataset folder (raw preferred, else <c>.gz</c>) and loads a split
/// into one normalised tensor.
/// </summary>
internal static class DatasetLoader
{
    /// <summary>The path of one file of the split, raw or <c>.gz</c>; the raw name when neither exists (so the error names it).</summary>
    public static string Locate(string dataDir, SplitKind split, bool labels)
    {
        string prefix = split == SplitKind.Train ? "train" : "t10k";
        string name = labels ? $"{prefix}-labels-idx1-ubyte" : $"{prefix}-images-idx3-ubyte";
        string raw = Path.Combine(dataDir, name);
        if (File.Exists(raw)) return raw;
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : raw;
    }

    /// <summary>Loads a split from <paramref name="dataDir"/>, normalised with the dataset's mean and std.</summary>
    /// <exception cref="IdxFormatException">A file is missing or bad, or images and labels differ in count.</exception>
    public static DataSplit Load(string dataDir, SplitKind split, DatasetInfo dataset)
    {
        if (!Directory.Exists(dataDir))
            throw new IdxFormatException($"{dataDir}: data folder not found");
        string imagesPath = Locate(dataDir, split, labels: false);
        string labelsPath = Locate(dataDir, split, labels: true);
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new IdxFormatException($"{labelsPath}: has {labels.Length} labels but {imagesPath} has {images.Count} images");
        return FromBytes(images.Pixels.Span, labels.Span, images.Count, dataset.Mean, dataset.Std);
    }

    /// <summary>Builds a normalised split from raw pixel and label bytes in one pass over whole tensors.</summary>
    public static DataSplit FromBytes(ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count, double mean, double std)
    {
        const int side = IdxReader.ImageSide;
        using var scope = torch.NewDisposeScope();
        var raw = torch.tensor(pixels.ToArray(), [count, 1, side, side], dtype: ScalarType.Byte);
        using Scalar full = 255.0, shift = mean, spread = std; // held across the calls (see HeldScalars)
        var x = raw.to_type(ScalarType.Float32).div_(full).sub_(shift).div_(spread);
        var y = torch.tensor(labels.ToArray(), [count], dtype: ScalarType.Byte).to_type(ScalarType.Int64);
        return new DataSplit(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }
}
