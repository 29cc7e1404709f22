using Mnist.Trials.Data;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// Small MNIST-format datasets that a CNN can learn in seconds: class k is a bright 7×7 square at
/// one of ten places on the 28×28 canvas, jittered by up to 2 pixels, over uniform noise.
/// Written as real IDX files so tests go through the same reader as MNIST.
/// </summary>
internal static class SyntheticDigits
{
    public const int Side = IdxReader.ImageSide;

    /// <summary>Pixels and labels of <paramref name="count"/> images, classes cycling 0..9 in a seeded order.</summary>
    public static (byte[] Pixels, byte[] Labels) Generate(int count, int seed)
    {
        var rng = new Random(seed);
        var pixels = new byte[count * Side * Side];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int label = rng.Next(10);
            labels[i] = (byte)label;
            var image = pixels.AsSpan(i * Side * Side, Side * Side);
            for (int p = 0; p < image.Length; p++) image[p] = (byte)rng.Next(0, 60);
            int top = 2 + (label / 5) * 14 + rng.Next(-2, 3);
            int left = 1 + (label % 5) * 5 + rng.Next(-1, 2);
            for (int r = Math.Max(0, top); r < Math.Min(Side, top + 7); r++)
                for (int c = Math.Max(0, left); c < Math.Min(Side, left + 5); c++)
                    image[r * Side + c] = (byte)rng.Next(200, 256);
        }
        return (pixels, labels);
    }

    /// <summary><see cref="Generate"/>'s images as a model-ready split, normalised with MNIST's mean and std.</summary>
    public static DataSplit Split(int count, int seed)
    {
        var (pixels, labels) = Generate(count, seed);
        return DatasetLoader.FromBytes(pixels, labels, count, DatasetInfo.Mnist.Mean, DatasetInfo.Mnist.Std);
    }

    /// <summary>Writes the four IDX files (train and t10k) into <paramref name="dir"/>; returns the folder.</summary>
    public static string WriteDataset(string dir, int trainCount = 400, int testCount = 200, bool gzip = false, int seed = 7)
    {
        Directory.CreateDirectory(dir);
        string ext = gzip ? ".gz" : "";
        var (trainPixels, trainLabels) = Generate(trainCount, seed);
        var (testPixels, testLabels) = Generate(testCount, seed + 1);
        IdxWriter.WriteImages(Path.Combine(dir, "train-images-idx3-ubyte" + ext), trainPixels, trainCount);
        IdxWriter.WriteLabels(Path.Combine(dir, "train-labels-idx1-ubyte" + ext), trainLabels);
        IdxWriter.WriteImages(Path.Combine(dir, "t10k-images-idx3-ubyte" + ext), testPixels, testCount);
        IdxWriter.WriteLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte" + ext), testLabels);
        return dir;
    }
}
