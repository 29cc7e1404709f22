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
    public static void WriteAllText(string path, string text) => Write(path, temporary => File.WriteAllText(temporary, text));

    /// <summary>
    /// Has <paramref name="write"/> write the whole file under a temporary name beside <paramref name="path"/>, then
    /// flushes it and renames it into place (folder created). The temporary name is this writer's own,
    /// <c>.NAME.tmp-PID-RANDOM.EXT</c>: with one fixed name, two processes exporting or reporting to the same path
    /// wrote into one temporary file, and one of them renamed the other's half-written file into place (the other then
    /// failed: its file was gone). On failure, and if the process is stopped by a signal it handles, the temporary
    /// file is removed; what a SIGKILL leaves is swept by the next write of the same name an hour later.
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var prefix = $".{Path.GetFileName(full)}.tmp";
        TempLeftovers.Sweep(folder, prefix);
        // The extension last: some writers (an image library) choose the format by it.
        var temporary = Path.Combine(folder, TempLeftovers.NameFor(prefix) + Path.GetExtension(full));
        using var writing = PartialFiles.Writing(temporary);
        try
        {
            write(temporary);
            Replace(temporary, full);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
