namespace Mnist.Search.Storage;

/// <summary>
/// A small file of zeros kept beside a SQLite database (<c>study.db-reserve</c>). When the disk fills, the write
/// that fails first deletes it, which gives back just enough room for the coordinator to record its running
/// trials FAIL instead of leaving them RUNNING (issue 11). It is made again when the storage is next opened.
/// </summary>
internal static class DiskReserve
{
    public const string Suffix = "-reserve";

    /// <summary>1 MiB: marking a handful of trials FAIL takes a few 4 KiB WAL pages; the rest is slack for the log.</summary>
    public const int Bytes = 1 << 20;

    // ENOSPC (28) and EDQUOT (122) as .NET reports them in IOException.HResult on Linux.
    private static readonly int[] FullCodes = [28, 122, unchecked((int)0x80070070)];

    /// <summary>Creates the reserve when missing; best effort (a disk that is already full simply has none).</summary>
    public static void Ensure(string databasePath)
    {
        var path = databasePath + Suffix;
        if (File.Exists(path)) return;
        // A name nobody can foresee, created only if nothing is there: with the process id alone, and FileMode.Create
        // (which follows a link and truncates), anyone who could write the database's folder planted a link at each
        // possible name and had the next open overwrite the link's target with zeros (audit-security 1).
        var tmp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // Real blocks, not a sparse hole (file systems reserve them at write time, no fsync needed).
                f.Write(new byte[Bytes]);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (IOException) { }
        }
    }

    /// <summary>Deletes the reserve; true when there was one to give back.</summary>
    public static bool Release(string databasePath)
    {
        var path = databasePath + Suffix;
        try
        {
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="error"/> (or an inner one) says the disk or quota is full.</summary>
    public static bool IsDiskFull(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is StorageFullException) return true;
            if (e is IOException io && (FullCodes.Contains(io.HResult & 0xFFFF) || FullCodes.Contains(io.HResult)
                || io.Message.Contains("No space left on device", StringComparison.Ordinal))) return true;
        }
        return false;
    }
}
