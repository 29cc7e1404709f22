using System.Buffers.Binary;
using System.IO.Compression;
using Mnist.Protocol.Files;

namespace Mnist.Trials.Data;

/// <summary>
/// Reads the IDX files of MNIST-format datasets (raw or gzip), validating every header field and the
/// exact file length, so that a bad file fails here with one message instead of as garbage pixels later.
/// </summary>
internal static class IdxReader
{
    public const int ImagesMagic = 2051;
    public const int LabelsMagic = 2049;
    public const int ImageSide = 28;
    public const int ClassCount = 10;

    /// <summary>Reads an idx3 image file: <c>count × 28 × 28</c> bytes, row-major.</summary>
    public static IdxImages ReadImages(string path)
    {
        var bytes = ReadAll(path);
        const int header = 16;
        RequireLength(path, bytes, header, "image header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != ImagesMagic)
            throw new IdxFormatException($"{path}: bad magic number {magic} (expected {ImagesMagic} for an idx3 image file)");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        if (count <= 0)
            throw new IdxFormatException($"{path}: image count is {count} (expected at least 1)");
        if (rows != ImageSide || cols != ImageSide)
            throw new IdxFormatException($"{path}: images are {rows}x{cols} (expected {ImageSide}x{ImageSide})");
        long expected = header + (long)count * rows * cols;
        RequireExactLength(path, bytes, expected);
        return new IdxImages(bytes.AsMemory(header, count * rows * cols), count, rows, cols);
    }

    /// <summary>Reads an idx1 label file and checks that every label is a class index 0..9.</summary>
    public static ReadOnlyMemory<byte> ReadLabels(string path)
    {
        var bytes = ReadAll(path);
        const int header = 8;
        RequireLength(path, bytes, header, "label header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != LabelsMagic)
            throw new IdxFormatException($"{path}: bad magic number {magic} (expected {LabelsMagic} for an idx1 label file)");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (count <= 0)
            throw new IdxFormatException($"{path}: label count is {count} (expected at least 1)");
        RequireExactLength(path, bytes, header + (long)count);
        var labels = bytes.AsMemory(header, count);
        int bad = labels.Span.IndexOfAnyExceptInRange((byte)0, (byte)(ClassCount - 1));
        if (bad >= 0)
            throw new IdxFormatException($"{path}: label {labels.Span[bad]} at index {bad} is out of range (expected 0..{ClassCount - 1})");
        return labels;
    }

    /// <summary>The most bytes read from one IDX file, raw or decompressed (one constant with the coordinator's check).</summary>
    public const long MaxFileBytes = Mnist.Protocol.Datasets.DatasetNames.MaxFileBytes;

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
            throw new IdxFormatException($"{path}: file not found");
        // Only a regular file is opened: a named pipe blocked the worker forever in open(), a device was read until memory ran out.
        if (RegularFile.Problem(path, MaxFileBytes) is { } problem)
            throw new IdxFormatException($"{path}: {problem}");
        try
        {
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                return File.ReadAllBytes(path);
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            return ReadCapped(path, gzip, capacity: (int)Math.Min(MaxFileBytes, file.Length * 4), MaxFileBytes);
        }
        catch (InvalidDataException ex)
        {
            throw new IdxFormatException($"{path}: not a valid gzip file ({ex.Message})", ex);
        }
        catch (IOException ex)
        {
            throw new IdxFormatException($"{path}: cannot be read ({ex.Message})", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IdxFormatException($"{path}: cannot be read ({ex.Message})", ex);
        }
    }

    /// <summary>Decompresses <paramref name="stream"/>, refusing it once it yields more than <paramref name="cap"/> bytes
    /// (<see cref="MaxFileBytes"/>; a test gives a small one rather than inflate a gigabyte).</summary>
    internal static byte[] ReadCapped(string path, Stream stream, int capacity, long cap)
    {
        using var buffer = new MemoryStream(capacity);
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > cap)
                throw new IdxFormatException($"{path}: decompresses to more than {cap} bytes; at most {cap} are read from such a file");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static void RequireLength(string path, byte[] bytes, int length, string what)
    {
        if (bytes.Length < length)
            throw new IdxFormatException($"{path}: file is truncated (expected at least {length} bytes of {what}, found {bytes.Length})");
    }

    private static void RequireExactLength(string path, byte[] bytes, long expected)
    {
        if (bytes.Length < expected)
            throw new IdxFormatException($"{path}: file is truncated (expected {expected} bytes, found {bytes.Length})");
        if (bytes.Length > expected)
            throw new IdxFormatException($"{path}: file is too long (expected {expected} bytes, found {bytes.Length}); the count in the header does not match the data");
    }
}
