using System.Buffers.Binary;
using System.Text;
using Mnist.Search.Tests.Support.Post;
using Mnist.Trials.Export;

namespace Mnist.Search.Tests.Trials.Export;

public sealed class SafetensorsReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] FileWith(string header, int dataBytes)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + headerBytes.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        return file;
    }

    [Fact]
    public void WhenTheFileIsTruncatedThenTheErrorNamesThePath()
    {
        // Given
        var path = _dir.File("cut.safetensors");
        var whole = SafetensorsWriter.Serialize([SafetensorsTensor.FromFloats("w", [4], [1f, 2f, 3f, 4f])]);
        File.WriteAllBytes(path, whole[..^3]);

        // When
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsReader.Read(path));

        // Then
        Assert.StartsWith(path + ":", error.Message);
    }

    [Fact]
    public void WhenTheHeaderLengthExceedsTheFileThenItIsRefused()
    {
        var file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1000);
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsReader.Parse(file));
        Assert.Contains("header length 1000", error.Message);
    }

    [Fact]
    public void WhenTheFileIsShorterThanEightBytesThenItIsRefused()
    {
        Assert.Throws<SafetensorsFormatException>(() => SafetensorsReader.Parse([1, 2, 3]));
    }

    [Fact]
    public void WhenTheHeaderIsNotJsonThenItIsRefused()
    {
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsReader.Parse(FileWith("{not json", 0)));
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void WhenTensorsLeaveAHoleInTheDataThenItIsRefused()
    {
        // Given: a holds bytes 0..4, b starts at 8
        const string header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";

        // When
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsReader.Parse(FileWith(header, 12)));

        // Then
        Assert.Contains("b: data starts at 8, expected 4", error.Message);
    }

    [Fact]
    public void WhenAShapeDisagreesWithItsOffsetsThenTheErrorNamesTheTensor()
    {
        const string header = """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""";
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsReader.Parse(FileWith(header, 8)));
        Assert.StartsWith("w:", error.Message);
    }

    [Fact]
    public void WhenAnEntryLacksDataOffsetsThenTheErrorNamesTheTensor()
    {
        const string header = """{"w":{"dtype":"F32","shape":[1]}}""";
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsReader.Parse(FileWith(header, 4)));
        Assert.Contains("w: malformed header entry", error.Message);
    }

    [Fact]
    public void WhenOffsetsAreListedOutOfOrderThenTensorsComeBackInDataOrder()
    {
        // Given: the header lists b before a, but a's bytes come first (allowed by the format)
        const string header = """{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""";
        var file = FileWith(header, 2);
        file[^2] = 7;
        file[^1] = 9;

        // When
        var parsed = SafetensorsReader.Parse(file);

        // Then
        Assert.Equal(["a", "b"], parsed.Tensors.Select(t => t.Name));
        Assert.Equal(9, parsed["b"].Data.Span[0]);
    }
}
