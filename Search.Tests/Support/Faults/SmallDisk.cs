using System.Diagnostics;

namespace Mnist.Search.Tests.Support.Faults;

/// <summary>
/// A folder on a disk that fills up: a size-limited tmpfs mounted for the test (we run as root here and in
/// CI). Where mounting is refused, <see cref="IsMounted"/> is false and the folder is an ordinary one; tests
/// then use <see cref="FailWritesTo"/>, which makes writes to one file fail with ENOSPC the same way.
/// Unmounted and deleted on dispose.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path, bool mounted)
    {
        Path = path;
        IsMounted = mounted;
    }

    public string Path { get; }

    /// <summary>True when <see cref="Path"/> is a tmpfs of the requested size.</summary>
    public bool IsMounted { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>
    /// Mounts a tmpfs of <paramref name="bytes"/> bytes on a new temporary folder; <paramref name="readOnly"/>
    /// mounts it read-only, a folder nobody (root included) can write.
    /// </summary>
    public static SmallDisk Create(long bytes, bool readOnly = false)
    {
        var path = Directory.CreateTempSubdirectory("mnist-small-disk-").FullName;
        var mounted = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}{(readOnly ? ",ro" : "")},mode=0777", "tmpfs", path) == 0;
        return new SmallDisk(path, mounted);
    }

    /// <summary>Fills the disk until a write fails with "no space left", leaving <paramref name="leaveBytes"/> free at most.</summary>
    public void Fill(long leaveBytes = 0)
    {
        var info = new DriveInfo(Path);
        var toWrite = Math.Max(0, info.AvailableFreeSpace - leaveBytes);
        var buffer = new byte[64 * 1024];
        using var filler = new FileStream(this[".filler"], FileMode.Append, FileAccess.Write);
        try
        {
            while (toWrite > 0)
            {
                var n = (int)Math.Min(buffer.Length, toWrite);
                filler.Write(buffer, 0, n);
                toWrite -= n;
            }
            filler.Flush();
        }
        catch (IOException)
        {
            // Full: that is the point.
        }
    }

    /// <summary>Frees what <see cref="Fill"/> took.</summary>
    public void Free() => File.Delete(this[".filler"]);

    /// <summary>
    /// Makes every later write to <paramref name="file"/> fail with ENOSPC ("No space left on device"), as on a
    /// full disk, without mounting anything: the name becomes a link to <c>/dev/full</c>.
    /// </summary>
    public static void FailWritesTo(string file)
    {
        File.Delete(file);
        File.CreateSymbolicLink(file, "/dev/full");
    }

    public void Dispose()
    {
        if (IsMounted) Run("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
