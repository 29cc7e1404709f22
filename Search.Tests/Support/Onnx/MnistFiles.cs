namespace Mnist.Search.Tests.Support.Onnx;

/// <summary>The real MNIST IDX files in the repository's <c>data/mnist</c> (CI fetches them before the tests).</summary>
internal static class MnistFiles
{
    public const int Pixels = 28 * 28;

    public static string RepositoryRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Mnist.Search.sln"))) return d.FullName;
            throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Directory => Path.Combine(RepositoryRoot, "data", "mnist");

    /// <summary>The first <paramref name="count"/> images (bytes, 784 each, concatenated) and labels of a split.</summary>
    public static (byte[] Pixels, byte[] Labels) Read(bool train, int count) => Read(Directory, train, count);

    /// <summary>The same from the IDX files of another MNIST-format dataset (Fashion-MNIST) in <paramref name="directory"/>.</summary>
    public static (byte[] Pixels, byte[] Labels) Read(string directory, bool train, int count)
    {
        var prefix = train ? "train" : "t10k";
        var images = Path.Combine(directory, $"{prefix}-images-idx3-ubyte");
        Assert.True(File.Exists(images), $"{images} is missing: run `dotnet run --project Search -- data fetch mnist`");
        var pixels = File.ReadAllBytes(images).AsSpan(16, count * Pixels).ToArray();
        var labels = File.ReadAllBytes(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte")).AsSpan(8, count).ToArray();
        return (pixels, labels);
    }

    /// <summary>Test images as [0, 1] floats, one array per image.</summary>
    public static (float[][] Images, int[] Labels) TestImages(int count) => TestImages(Directory, count);

    public static (float[][] Images, int[] Labels) TestImages(string directory, int count)
    {
        var (pixels, labels) = Read(directory, train: false, count);
        var images = Enumerable.Range(0, count).Select(i => pixels.AsSpan(i * Pixels, Pixels).ToArray().Select(b => b / 255f).ToArray()).ToArray();
        return (images, labels.Select(l => (int)l).ToArray());
    }
}
