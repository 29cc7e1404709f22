using System.Buffers.Binary;
using System.Text.Json;
using Mnist.Protocol.Files;

namespace Mnist.Trials.Export;

/// <summary>
/// Writes tensors in the safetensors format: an 8-byte little-endian header length N, N bytes of JSON header
/// (<c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>, padded with
/// spaces to a multiple of 8), then the tensors' raw bytes back to back.
/// </summary>
/// <remarks>
/// Tensors are stored in the order given (a <c>state_dict</c>'s order), with offsets relative to the start of
/// the data section; the format only requires that the data is covered without holes or overlaps.
/// </remarks>
internal static class SafetensorsWriter
{
    private const string MetadataKey = "__metadata__";

    /// <summary>Writes the file atomically: a temporary file beside <paramref name="path"/>, then a rename.</summary>
    /// <exception cref="SafetensorsFormatException">A name is empty, repeated or reserved; a dtype is unknown;
    /// or a tensor's byte count does not match its shape.</exception>
    public static void Write(
        string path,
        IReadOnlyList<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var header = BuildHeader(tensors, metadata);
        Durable.Write(path, temporary =>
        {
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            WriteTo(stream, header, tensors);
        });
    }

    /// <summary>The whole file as bytes (for tests and in-memory use).</summary>
    public static byte[] Serialize(
        IReadOnlyList<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = BuildHeader(tensors, metadata);
        using var stream = new MemoryStream();
        WriteTo(stream, header, tensors);
        return stream.ToArray();
    }

    private static void WriteTo(Stream stream, byte[] header, IReadOnlyList<SafetensorsTensor> tensors)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var tensor in tensors)
        {
            stream.Write(tensor.Data.Span);
        }
    }

    private static byte[] BuildHeader(
        IReadOnlyList<SafetensorsTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in tensors)
            {
                Validate(tensor, names);
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.Dtype);
                json.WriteStartArray("shape");
                foreach (var dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // The data section must start 8-byte aligned so readers can map it as typed arrays in place.
        var padding = (int)((8 - (buffer.Length % 8)) % 8);
        for (var i = 0; i < padding; i++)
        {
            buffer.WriteByte((byte)' ');
        }

        return buffer.ToArray();
    }

    private static void Validate(SafetensorsTensor tensor, HashSet<string> names)
    {
        if (string.IsNullOrEmpty(tensor.Name) || tensor.Name == MetadataKey)
        {
            throw new SafetensorsFormatException($"tensor name '{tensor.Name}' is empty or reserved");
        }

        if (!names.Add(tensor.Name))
        {
            throw new SafetensorsFormatException($"tensor name '{tensor.Name}' appears twice");
        }

        var size = SafetensorsDtype.SizeOf(tensor.Dtype)
                   ?? throw new SafetensorsFormatException($"tensor '{tensor.Name}': unknown dtype '{tensor.Dtype}'");
        if (tensor.Shape.Any(d => d < 0))
        {
            throw new SafetensorsFormatException(
                $"tensor '{tensor.Name}': negative dimension in shape [{string.Join(", ", tensor.Shape)}]");
        }

        var expected = tensor.ElementCount * size;
        if (tensor.Data.Length != expected)
        {
            throw new SafetensorsFormatException(
                $"tensor '{tensor.Name}': shape [{string.Join(", ", tensor.Shape)}] of {tensor.Dtype} needs {expected} bytes, got {tensor.Data.Length}");
        }
    }
}
