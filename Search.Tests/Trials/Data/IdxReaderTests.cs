using System.Buffers.Binary;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;

namespace Mnist.Search.Tests.Trials.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WhenImagesAndLabelsAreWrittenThenTheyReadBackByteForByte(bool gzip)
    {
        // Given
        var (pixels, labels) = SyntheticDigits.Generate(25, seed: 3);
        string ext = gzip ? ".gz" : "";
        IdxWriter.WriteImages(dir.File("img" + ext), pixels, 25);
        IdxWriter.WriteLabels(dir.File("lbl" + ext), labels);

        // When
        var images = IdxReader.ReadImages(dir.File("img" + ext));
        var readLabels = IdxReader.ReadLabels(dir.File("lbl" + ext));

        // Then
        Assert.Equal((25, 28, 28), (images.Count, images.Rows, images.Cols));
        Assert.Equal(pixels, images.Pixels.ToArray());
        Assert.Equal(labels, readLabels.ToArray());
    }

    [Fact]
    public void WhenTheImageMagicIsWrongThenTheErrorNamesFileAndMagic()
    {
        // Given a label file where an image file is expected
        IdxWriter.WriteLabels(dir.File("img"), new byte[100]);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(dir.File("img")));

        // Then
        Assert.Contains(dir.File("img"), ex.Message);
        Assert.Contains("bad magic number 2049", ex.Message);
        Assert.Contains("2051", ex.Message);
    }

    [Fact]
    public void WhenTheLabelMagicIsWrongThenTheErrorNamesTheExpectedMagic()
    {
        // Given
        IdxWriter.WriteImages(dir.File("lbl"), new byte[784], 1);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(dir.File("lbl")));

        // Then
        Assert.Contains("bad magic number 2051 (expected 2049", ex.Message);
    }

    [Fact]
    public void WhenTheImageFileIsTruncatedThenTheErrorGivesExpectedAndFoundSizes()
    {
        // Given a 3-image file cut short by 100 bytes
        IdxWriter.WriteImages(dir.File("img"), new byte[3 * 784], 3);
        var bytes = File.ReadAllBytes(dir.File("img"));
        File.WriteAllBytes(dir.File("img"), bytes[..^100]);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(dir.File("img")));

        // Then
        Assert.Equal($"{dir.File("img")}: file is truncated (expected {16 + 3 * 784} bytes, found {16 + 3 * 784 - 100})", ex.Message);
    }

    [Fact]
    public void WhenTheHeaderItselfIsTruncatedThenTheErrorSaysSo()
    {
        // Given
        File.WriteAllBytes(dir.File("lbl"), [0, 0, 8]);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(dir.File("lbl")));

        // Then
        Assert.Contains("file is truncated", ex.Message);
        Assert.Contains("label header", ex.Message);
    }

    [Fact]
    public void WhenTheHeaderCountDoesNotMatchTheDataThenTheFileIsRejected()
    {
        // Given a label file claiming 2 labels but holding 5
        IdxWriter.WriteLabels(dir.File("lbl"), [1, 2, 3, 4, 5]);
        var bytes = File.ReadAllBytes(dir.File("lbl"));
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 2);
        File.WriteAllBytes(dir.File("lbl"), bytes);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(dir.File("lbl")));

        // Then
        Assert.Contains("file is too long (expected 10 bytes, found 13)", ex.Message);
    }

    [Fact]
    public void WhenImagesAreNot28By28ThenTheErrorGivesTheDimensions()
    {
        // Given
        IdxWriter.WriteImages(dir.File("img"), new byte[2 * 32 * 32], 2, rows: 32, cols: 32);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(dir.File("img")));

        // Then
        Assert.Contains("images are 32x32 (expected 28x28)", ex.Message);
    }

    [Fact]
    public void WhenALabelIsOutOfRangeThenTheErrorGivesValueAndIndex()
    {
        // Given
        IdxWriter.WriteLabels(dir.File("lbl"), [0, 9, 10, 3]);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadLabels(dir.File("lbl")));

        // Then
        Assert.Equal($"{dir.File("lbl")}: label 10 at index 2 is out of range (expected 0..9)", ex.Message);
    }

    [Fact]
    public void WhenTheFileIsMissingThenTheErrorNamesIt()
    {
        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(dir.File("nope")));

        // Then
        Assert.Equal($"{dir.File("nope")}: file not found", ex.Message);
    }

    [Fact]
    public void WhenAGzipFileIsCorruptThenTheErrorSaysItIsNotValidGzip()
    {
        // Given bytes that are not a gzip stream under a .gz name
        File.WriteAllBytes(dir.File("img.gz"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(dir.File("img.gz")));

        // Then
        Assert.StartsWith($"{dir.File("img.gz")}: not a valid gzip file", ex.Message);
    }

    [Fact]
    public void WhenAGzipFileIsCutShortThenItIsReportedAsBad()
    {
        // Given a real gzip file missing its second half
        IdxWriter.WriteImages(dir.File("img.gz"), SyntheticDigits.Generate(50, 1).Pixels, 50);
        var bytes = File.ReadAllBytes(dir.File("img.gz"));
        File.WriteAllBytes(dir.File("img.gz"), bytes[..(bytes.Length / 2)]);

        // When
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadImages(dir.File("img.gz")));

        // Then: either the gzip layer or the length check catches it, and the file is named
        Assert.StartsWith(dir.File("img.gz") + ":", ex.Message);
        Assert.True(ex.Message.Contains("gzip") || ex.Message.Contains("truncated"), ex.Message);
    }

    [Fact]
    public void WhenAGzipFileDecompressesBeyondTheCapThenItIsRefusedNamingTheFile()
    {
        // Given a gzip file that inflates to one MiB more than a cap of 1 MiB (the reader's is 1 GiB; the same code path,
        // without inflating a gigabyte in the test process)
        using (var file = File.Create(dir.File("img.gz")))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Optimal))
            gzip.Write(new byte[2 << 20]);

        // When it is decompressed under that cap
        using var stream = new System.IO.Compression.GZipStream(File.OpenRead(dir.File("img.gz")), System.IO.Compression.CompressionMode.Decompress);
        var ex = Assert.Throws<IdxFormatException>(() => IdxReader.ReadCapped(dir.File("img.gz"), stream, capacity: 1 << 16, cap: 1 << 20));

        // Then it is refused by its decompressed size, naming the file, not read to the end and judged by its header
        Assert.Equal($"{dir.File("img.gz")}: decompresses to more than {1 << 20} bytes; at most {1 << 20} are read from such a file", ex.Message);
    }
}
