using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Mnist.Search.Tests.Support.Post;
using Mnist.Trials.Export;

namespace Mnist.Search.Tests.Trials.Export;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IReadOnlyList<SafetensorsTensor> SampleTensors() =>
    [
        SafetensorsTensor.FromFloats("features.0.weight", [2, 1, 1, 3], [1f, -2.5f, 3e-8f, float.MaxValue, -0f, 6f]),
        SafetensorsTensor.FromFloats("features.0.bias", [2], [0.5f, -0.25f]),
        SafetensorsTensor.FromInt64s("features.1.num_batches_tracked", [], [long.MaxValue - 1]),
        SafetensorsTensor.FromFloats("empty", [0, 4], []),
    ];

    [Fact]
    public void WhenWrittenAndReadBackThenNamesShapesDtypesValuesAndMetadataSurvive()
    {
        // Given
        var path = _dir.File("model.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["dataset"] = "mnist" };

        // When
        SafetensorsWriter.Write(path, SampleTensors(), metadata);
        var file = SafetensorsReader.Read(path);

        // Then
        Assert.Equal(SampleTensors().Select(t => t.Name), file.Tensors.Select(t => t.Name));
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal([2L, 1, 1, 3], file["features.0.weight"].Shape);
        Assert.Equal([1f, -2.5f, 3e-8f, float.MaxValue, -0f, 6f], file["features.0.weight"].ToFloats());
        Assert.Equal([0.5f, -0.25f], file["features.0.bias"].ToFloats());
        Assert.Equal("I64", file["features.1.num_batches_tracked"].Dtype);
        Assert.Empty(file["features.1.num_batches_tracked"].Shape);
        Assert.Equal([long.MaxValue - 1], file["features.1.num_batches_tracked"].ToInt64s());
        Assert.Empty(file["empty"].ToFloats());
    }

    [Fact]
    public void WhenWrittenThenTheHeaderIsAPaddedJsonObjectWithContiguousOffsets()
    {
        // When
        var bytes = SafetensorsWriter.Serialize(SampleTensors(), new Dictionary<string, string> { ["k"] = "v" });

        // Then
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.EndsWith("}", headerText.TrimEnd(' '));
        using var header = JsonDocument.Parse(headerText);
        Assert.Equal("v", header.RootElement.GetProperty("__metadata__").GetProperty("k").GetString());
        var weight = header.RootElement.GetProperty("features.0.weight");
        Assert.Equal("F32", weight.GetProperty("dtype").GetString());
        Assert.Equal([2L, 1, 1, 3], weight.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([0L, 24], weight.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([24L, 32], header.RootElement.GetProperty("features.0.bias").GetProperty("data_offsets")
            .EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(8 + headerLength + 24 + 8 + 8, bytes.Length);
        // The data is little-endian: 1.0f is 00 00 80 3F.
        Assert.Equal([0x00, 0x00, 0x80, 0x3F], bytes.Skip(8 + headerLength).Take(4));
    }

    [Fact]
    public void WhenTheTargetExistsThenItIsReplacedAndNoTemporaryFileRemains()
    {
        // Given
        var path = _dir.File("model.safetensors");
        File.WriteAllText(path, "old contents");

        // When
        SafetensorsWriter.Write(path, SampleTensors());

        // Then
        Assert.Equal(4, SafetensorsReader.Read(path).Tensors.Count);
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void WhenATensorsBytesDoNotMatchItsShapeThenNothingIsWrittenAndTheErrorNamesIt()
    {
        // Given
        var path = _dir.File("model.safetensors");
        var bad = new SafetensorsTensor("classifier.1.weight", "F32", [3, 2], new byte[20]);

        // When
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsWriter.Write(path, [bad]));

        // Then
        Assert.Contains("classifier.1.weight", error.Message);
        Assert.Contains("24 bytes", error.Message);
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Theory]
    [InlineData("dup")]
    [InlineData("__metadata__")]
    [InlineData("")]
    public void WhenANameIsRepeatedReservedOrEmptyThenItIsRefused(string name)
    {
        // Given
        var tensors = new[]
        {
            SafetensorsTensor.FromFloats("dup", [1], [1f]),
            SafetensorsTensor.FromFloats(name, [1], [2f]),
        };

        // When / Then
        Assert.Throws<SafetensorsFormatException>(() => SafetensorsWriter.Serialize(tensors));
    }

    [Fact]
    public void WhenTheDtypeIsUnknownThenItIsRefused()
    {
        var tensor = new SafetensorsTensor("x", "F8_E4M3", [1], new byte[1]);
        var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsWriter.Serialize([tensor]));
        Assert.Contains("F8_E4M3", error.Message);
    }
}
