namespace Mnist.Protocol.Files;

/// <summary>
/// Files renamed into place, flushed to the disk first. A rename is atomic, but after a power loss or a kernel crash
/// the new name can point at a file whose data never reached the disk (ext4 and XFS allocate blocks late), that is an
/// empty model, spec or report where the old one was. Flushing before the rename closes that window; it costs one
/// fsync per file, nothing next to the training that produced it.
/// </summary>
public static class Durable
{
    /// <summary>Flushes <paramref name="path"/>'s data to the disk.</summary>
    public static void Flush(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Flushes the finished temporary file <paramref name="temporary"/> and renames it to <paramref name="path"/>, replacing it.</summary>
    public static void Replace(string temporary, string path)
    {
        Flush(temporary);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> through a flushed temporary file and a rename (folder created).</summary>
    public static void WriteAllText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.tmp-{Environment.ProcessId}";
        try
        {
            File.WriteAllText(temporary, text);
            Replace(temporary, path);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
