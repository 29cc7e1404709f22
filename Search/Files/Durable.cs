namespace Mnist.Search.Files;

/// <summary>
/// fsync for files that are renamed into place: a rename is atomic, but after a power loss the new name can point
/// at a file whose data never reached the disk (ext4 and XFS with delayed allocation), that is an empty model or
/// report. Flushing before the rename closes that window.
/// </summary>
public static class Durable
{
    /// <summary>Flushes <paramref name="path"/>'s data to the disk.</summary>
    public static void Flush(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> through a flushed temporary file and a rename.</summary>
    public static void WriteAllText(string path, string text)
    {
        var tmp = $"{path}.tmp-{Environment.ProcessId}";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(text);
            writer.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
