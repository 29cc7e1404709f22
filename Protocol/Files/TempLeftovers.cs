using System.Globalization;

namespace Mnist.Protocol.Files;

/// <summary>
/// Temporary files and folders named <c>PREFIX-PID-RANDOM</c> in the temp folder. A process killed before it could
/// remove its own (SIGKILL, the OOM killer, a closed container) left them for ever (a predict's list of 12,000 image
/// paths: 2.7 MB): the next process of this tool removes those of a process that is gone and that nothing wrote for
/// an hour (another container sharing /tmp may have a live process of that pid).
/// </summary>
public static class TempLeftovers
{
    private static readonly TimeSpan Quiet = TimeSpan.FromHours(1);

    /// <summary>A new name for this process: <c>PREFIX-PID-RANDOM</c>.</summary>
    public static string NameFor(string prefix) =>
        $"{prefix}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}";

    /// <summary>Removes what gone processes left under <paramref name="prefix"/>; never throws (it is housekeeping).</summary>
    public static void Sweep(string prefix) => Sweep(Path.GetTempPath(), prefix);

    /// <summary>The same in <paramref name="folder"/>: a file written beside its final name (a dataset file) is swept there.</summary>
    public static void Sweep(string folder, string prefix)
    {
        try
        {
            foreach (var path in Abandoned(folder, prefix, Quiet))
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The entries <c>PREFIX-PID-…</c> in <paramref name="folder"/> of processes that are gone (on Linux, where that
    /// can be told; none elsewhere) and that nothing wrote for <paramref name="quiet"/>.
    /// </summary>
    public static IEnumerable<string> Abandoned(string folder, string prefix, TimeSpan quiet)
    {
        if (!OperatingSystem.IsLinux()) yield break;
        foreach (var path in Directory.EnumerateFileSystemEntries(folder, prefix + "-*"))
        {
            var rest = Path.GetFileName(path)[(prefix.Length + 1)..];
            var dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}")) continue;
            if (quiet > TimeSpan.Zero && DateTime.UtcNow - LastWrite(path) < quiet) continue;
            yield return path;
        }
    }

    /// <summary>How long nothing must have been written to a leftover whose pid another container may hold (one hour).</summary>
    public static TimeSpan QuietTime => Quiet;

    /// <summary>
    /// As <see cref="Abandoned"/>, for entries of any name written by this tool beside their final one:
    /// <c>.NAME.KIND-PID-RANDOM</c> (KIND <paramref name="kind"/>: "tmp", "old"; RANDOM a GUID's 32 hex digits, an
    /// extension after it for a file of <see cref="Durable.Write"/>). Another program's entries do not have that shape.
    /// </summary>
    public static IEnumerable<string> AbandonedOfAnyName(string folder, string kind, TimeSpan quiet)
    {
        var marker = $".{kind}-";
        var prefixes = Directory.EnumerateFileSystemEntries(folder, $".*{marker}*")
            .Select(path => Path.GetFileName(path))
            .Select(name => name[..(name.LastIndexOf(marker, StringComparison.Ordinal) + marker.Length - 1)])
            .Distinct(StringComparer.Ordinal).ToList();
        return prefixes.SelectMany(prefix => Abandoned(folder, prefix, quiet).Where(path => EndsAsOurs(Path.GetFileName(path)[(prefix.Length + 1)..]))).ToList();
    }

    /// <summary>
    /// Removes at once the files that <see cref="Durable.Write"/> left half-written in <paramref name="folder"/> when its
    /// process was killed between the write and the rename, for a folder whose writers are known to be gone (a trial's
    /// once its coordinator died); never throws (it is housekeeping).
    /// </summary>
    public static void SweepWrites(string folder)
    {
        try
        {
            if (!Directory.Exists(folder)) return;
            foreach (var path in AbandonedOfAnyName(folder, "tmp", TimeSpan.Zero))
                if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    // "PID-RANDOM…": the pid, then a GUID's 32 hex digits (NameFor).
    private static bool EndsAsOurs(string rest)
    {
        var dash = rest.IndexOf('-');
        return dash > 0 && rest.Length >= dash + 33 && rest.AsSpan(dash + 1, 32).ContainsAnyExcept("0123456789abcdef") is false;
    }

    private static DateTime LastWrite(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFileSystemEntries(path, "*", SearchOption.AllDirectories).Select(File.GetLastWriteTimeUtc).Append(Directory.GetLastWriteTimeUtc(path)).Max()
            : File.GetLastWriteTimeUtc(path);
}
