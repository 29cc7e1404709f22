using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;

namespace Mnist.Search.Tests.Trials.Data;

public sealed class DatasetLoaderTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WhenASplitIsLoadedThenItIsOneNormalisedTensorWithInt64Labels(bool gzip)
    {
        // Given
        SyntheticDigits.WriteDataset(dir.Path, trainCount: 30, testCount: 12, gzip: gzip);
        var (_, expectedLabels) = SyntheticDigits.Generate(12, seed: 8);

        // When
        using var test = DatasetLoader.Load(dir.Path, SplitKind.Test, DatasetInfo.Mnist);

        // Then
        Assert.Equal(new long[] { 12, 1, 28, 28 }, test.Images.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, test.Images.dtype);
        Assert.Equal(expectedLabels.Select(b => (long)b), test.Labels.data<long>().ToArray());
        // A black pixel maps to -mean/std and a white one to (1-mean)/std.
        Assert.Equal(-0.1307 / 0.3081, test.Images.min().item<float>(), 3);
        Assert.InRange(test.Images.max().item<float>(), (200 / 255.0 - 0.1307) / 0.3081, (1 - 0.1307) / 0.3081 + 1e-4);
    }

    [Fact]
    public void WhenRawAndGzipFilesBothExistThenTheRawFileIsUsed()
    {
        // Given
        SyntheticDigits.WriteDataset(dir.Path, 10, 10, gzip: false);
        File.WriteAllBytes(Path.Combine(dir.Path, "train-images-idx3-ubyte.gz"), [0]);

        // When
        string located = DatasetLoader.Locate(dir.Path, SplitKind.Train, labels: false);

        // Then
        Assert.Equal(Path.Combine(dir.Path, "train-images-idx3-ubyte"), located);
    }

    [Fact]
    public void WhenImageAndLabelCountsDifferThenTheErrorNamesBothFiles()
    {
        // Given 20 training images but 19 labels
        SyntheticDigits.WriteDataset(dir.Path, 20, 10);
        IdxWriter.WriteLabels(Path.Combine(dir.Path, "train-labels-idx1-ubyte"), new byte[19]);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => DatasetLoader.Load(dir.Path, SplitKind.Train, DatasetInfo.Mnist));

        // Then
        Assert.Contains("train-labels-idx1-ubyte: has 19 labels but", ex.Message);
        Assert.Contains("train-images-idx3-ubyte has 20 images", ex.Message);
    }

    [Fact]
    public void WhenAFileOfTheSplitIsMissingThenTheErrorNamesTheRawFileName()
    {
        // Given
        SyntheticDigits.WriteDataset(dir.Path, 10, 10);
        File.Delete(Path.Combine(dir.Path, "t10k-labels-idx1-ubyte"));

        // When
        var ex = Assert.Throws<IdxFormatException>(() => DatasetLoader.Load(dir.Path, SplitKind.Test, DatasetInfo.Mnist));

        // Then
        Assert.Equal($"{Path.Combine(dir.Path, "t10k-labels-idx1-ubyte")}: file not found", ex.Message);
    }

    [Fact]
    public void WhenTheDataFolderIsMissingThenTheErrorNamesIt()
    {
        // When
        var ex = Assert.Throws<IdxFormatException>(() => DatasetLoader.Load(dir.File("absent"), SplitKind.Train, DatasetInfo.Mnist));

        // Then
        Assert.Equal($"{dir.File("absent")}: data folder not found", ex.Message);
    }
}
