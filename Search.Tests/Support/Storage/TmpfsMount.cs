using System.Diagnostics;

namespace Mnist.Search.Tests.Support.Storage;

/// <summary>
/// A small tmpfs mounted on a fresh temp folder (<c>mount -t tmpfs -o size=N</c>, optionally read-only): a disk
/// that really fills, or a folder nobody (root included) can write. Needs root or CAP_SYS_ADMIN, as the tests have
/// here and in CI; <see cref="TryMount"/> returns null where mounting is not permitted. Unmounted on dispose.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/>; null (and no folder left) when mounting is not permitted.</summary>
    public static TmpfsMount? TryMount(long bytes, bool readOnly = false)
    {
        var dir = Directory.CreateTempSubdirectory("mnist-tmpfs-").FullName;
        if (Run("mount", "-t", "tmpfs", "-o", $"size={bytes}{(readOnly ? ",ro" : "")},mode=0777", "tmpfs", dir) == 0) return new TmpfsMount(dir);
        Directory.Delete(dir);
        return null;
    }

    /// <summary>Free bytes on the mount.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public void Dispose()
    {
        // Lazy: a child that still has a file open must not keep the mount (and the test) hanging.
        Run("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static int Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }
}
