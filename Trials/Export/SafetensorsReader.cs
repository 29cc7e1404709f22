using System.Buffers.Binary;
using System.Text.Json;

namespace Mnist.Trials.Export;

/// <summary>Reads safetensors files, checking the header against the data section.</summary>
internal static class SafetensorsReader
{
    // The reference implementation refuses headers over 100 MB; a larger one means a corrupt length field.
    private const long MaxHeaderBytes = 100_000_000;

    /// <exception cref="SafetensorsFormatException">The file is truncated, its header is not valid JSON, or a
    /// tensor entry is inconsistent; the message starts with the path.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsFile Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (SafetensorsFormatException e)
        {
            throw new SafetensorsFormatException($"{path}: {e.Message}");
        }
    }

    /// <summary>Parses a whole file held in memory.</summary>
    public static SafetensorsFile Parse(byte[] file)
    {
        if (file.Length < 8)
        {
            throw new SafetensorsFormatException($"file is {file.Length} bytes, shorter than the 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || (long)headerLength > file.Length - 8)
        {
            throw new SafetensorsFormatException(
                $"header length {headerLength} does not fit in a file of {file.Length} bytes");
        }

        var dataStart = 8 + (int)headerLength;
        var dataLength = file.Length - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"header is not valid JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsFormatException("header is not a JSON object");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<(long Begin, SafetensorsTensor Tensor)>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String
                            ? item.Value.GetString()!
                            : throw new SafetensorsFormatException($"__metadata__.{item.Name} is not a string");
                    }

                    continue;
                }

                entries.Add(ReadEntry(property, file, dataStart, dataLength));
            }

            entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            CheckCoverage(entries, dataLength);
            return new SafetensorsFile(entries.Select(e => e.Tensor).ToList(), metadata);
        }
    }

    private static (long Begin, SafetensorsTensor Tensor) ReadEntry(
        JsonProperty property, byte[] file, int dataStart, int dataLength)
    {
        var name = property.Name;
        try
        {
            var entry = property.Value;
            var dtype = entry.GetProperty("dtype").GetString() ?? "";
            var size = SafetensorsDtype.SizeOf(dtype)
                       ?? throw new SafetensorsFormatException($"{name}.dtype '{dtype}' is not supported");
            var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            {
                throw new SafetensorsFormatException(
                    $"{name}.data_offsets [{string.Join(", ", offsets)}] lie outside the {dataLength}-byte data section");
            }

            var tensor = new SafetensorsTensor(
                name, dtype, shape, file.AsMemory(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0])));
            if (shape.Any(d => d < 0) || tensor.ElementCount * size != tensor.Data.Length)
            {
                throw new SafetensorsFormatException(
                    $"{name}: shape [{string.Join(", ", shape)}] of {dtype} does not match {tensor.Data.Length} data bytes");
            }

            return (offsets[0], tensor);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SafetensorsFormatException($"{name}: malformed header entry ({e.Message})");
        }
    }

    private static void CheckCoverage(List<(long Begin, SafetensorsTensor Tensor)> entries, int dataLength)
    {
        long expected = 0;
        foreach (var (begin, tensor) in entries)
        {
            if (begin != expected)
            {
                throw new SafetensorsFormatException(
                    $"{tensor.Name}: data starts at {begin}, expected {expected} (hole or overlap)");
            }

            expected = begin + tensor.Data.Length;
        }

        if (expected != dataLength)
        {
            throw new SafetensorsFormatException(
                $"tensors cover {expected} bytes but the data section holds {dataLength}");
        }
    }
}
