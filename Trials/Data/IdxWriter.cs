using System.Buffers.Binary;
using System.IO.Compression;

namespace Mnist.Trials.Data;

/// <summary>
/// Writes IDX files (raw, or gzip when the name ends in <c>.gz</c>). Used by tests and tools to make
/// small datasets; the writer does not validate, so tests can also produce deliberately bad files.
/// </summary>
internal static class IdxWriter
{
    public static void WriteImages(string path, ReadOnlySpan<byte> pixels, int count, int rows = IdxReader.ImageSide, int cols = IdxReader.ImageSide)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), cols);
        Write(path, header, pixels);
    }

    public static void WriteLabels(string path, ReadOnlySpan<byte> labels)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), labels.Length);
        Write(path, header, labels);
    }

    private static void Write(string path, ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        string tmp = path + ".tmp";
        using (var file = File.Create(tmp))
        {
            Stream target = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true)
                : file;
            target.Write(header);
            target.Write(body);
            if (!ReferenceEquals(target, file)) target.Dispose();
        }
        File.Move(tmp, path, overwrite: true);
    }
}
