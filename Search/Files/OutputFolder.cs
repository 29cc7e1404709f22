using Mnist.Protocol.Files;

namespace Mnist.Search.Files;

/// <summary>
/// A folder a command writes as a whole (<c>study report --out</c>, <c>study export --out</c>): it must be new, empty,
/// or hold only what an earlier run of the same command wrote; the new content is built in a hidden sibling and
/// swapped in, so the folder is at every moment the old content or the new, never a mix, and nothing else in it
/// is ever overwritten (an export into a trial's own folder used to replace that trial's model.bin).
/// </summary>
public static class OutputFolder
{
    /// <summary>
    /// The folder <paramref name="path"/> stands for: a symbolic link's final target (the folder is swapped as a
    /// whole, which replaced the link itself with a new folder and left the report it pointed to stale). Refuses the
    /// current folder or one holding it: swapping it left the user's shell in a deleted folder.
    /// </summary>
    public static string Resolve(string path, string option = "--out")
    {
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        try
        {
            if (new DirectoryInfo(folder).LinkTarget is not null && new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true) is { } target)
                folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target.FullName));
        }
        catch (IOException e)
        {
            throw new OutputFolderException($"{option} {path}: cannot follow its link ({e.Message})");
        }
        var here = Path.TrimEndingDirectorySeparator(Environment.CurrentDirectory);
        if (here == folder || here.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new OutputFolderException($"{option} {path}: is the current folder or holds it; the {option} folder is replaced as a whole, so give one outside it");
        return folder;
    }

    /// <summary>
    /// Checks <paramref name="folder"/> (a full path, from <see cref="Resolve"/>) may be replaced, then creates and returns the staging folder
    /// beside it. <paramref name="what"/> names the content in messages ("report", "export"); <paramref name="ownFiles"/>
    /// are the names an earlier one holds. Throws <see cref="OutputFolderException"/> naming the option and the path.
    /// </summary>
    public static Staging Stage(string folder, string what, IReadOnlySet<string> ownFiles, string option = "--out")
    {
        if (File.Exists(folder)) throw new OutputFolderException($"{option} {folder}: is a file, not a folder");
        var parent = Path.GetDirectoryName(folder) ?? throw new OutputFolderException($"{option} {folder}: cannot replace a file system root");
        if (Directory.Exists(folder))
        {
            var foreign = Directory.EnumerateFileSystemEntries(folder).FirstOrDefault(e => Directory.Exists(e) || !ownFiles.Contains(Path.GetFileName(e)));
            if (foreign is not null)
                throw new OutputFolderException(
                    $"{option} {folder}: holds '{Path.GetFileName(foreign)}', which is not part of a {what}; nothing was written. " +
                    $"Give {option} a new or empty folder (or one holding only an earlier {what})");
        }
        try
        {
            // The folders above --out that this run makes, deepest first: a failed or interrupted run removes them
            // again (an empty folder was left behind).
            var made = MadeFolders.Missing(parent);
            Directory.CreateDirectory(parent);
            RemoveLeftovers(parent, Path.GetFileName(folder));
            return new Staging(Directory.CreateDirectory(Path.Combine(parent, $".{Path.GetFileName(folder)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName, made);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputFolderException($"{option} {folder}: cannot create it ({WhyNot(parent, e)})");
        }
    }

    // Why no folder can be made in parent, in the user's terms: .NET's message names the path it tried, the hidden
    // staging folder the user never gave (--out /proc/nope said "Could not find file '/proc/.nope.tmp-32111-25db…'").
    private static string WhyNot(string parent, Exception e)
    {
        if (PathInTheWay.Describe(parent) is { } file) return file;
        var existing = Path.GetFullPath(parent);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } up) existing = up;
        return e switch
        {
            UnauthorizedAccessException => $"permission denied: this user may not make a folder in {existing}",
            // EROFS: the file system is mounted read-only.
            IOException { HResult: 30 } => $"{existing} is on a read-only file system",
            // ENOENT although the folder exists: a file system such as /proc or /sys, whose folders are made by the kernel alone.
            FileNotFoundException or DirectoryNotFoundException when Directory.Exists(existing) => $"no folder can be made in {existing}",
            _ => $"{existing}: {e.Message.Split(" : '")[0].Split(" '")[0].TrimEnd('.', ' ')}",
        };
    }

    /// <summary>
    /// Makes the staged folder <paramref name="folder"/>: the old one is moved aside before the new one moves in,
    /// then deleted. Each file is flushed to disk first, so a crash right after never leaves the folder with empty files.
    /// </summary>
    public static void Promote(Staging staging, string folder)
    {
        foreach (var file in Directory.EnumerateFiles(staging.Path, "*", SearchOption.AllDirectories)) Durable.Flush(file);
        var old = Path.Combine(Path.GetDirectoryName(folder)!, $".{Path.GetFileName(folder)}.old-{Environment.ProcessId}-{Guid.NewGuid():N}");
        if (Directory.Exists(folder)) Directory.Move(folder, old);
        Directory.Move(staging.Path, folder);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    // A run killed mid-write (SIGKILL, power loss) leaves its hidden staging or old folder beside the output; the next
    // run removes those whose process is gone. Another live run's folders are left alone. Those of other names too, once
    // nothing wrote them for TempLeftovers' quiet hour (another container sharing the folder may have a live process of
    // that pid): only a later run to the same folder removed them, and a job exporting to dated folders piled them up
    // (68 KB each, audit-chaos 4).
    private static void RemoveLeftovers(string parent, string name)
    {
        foreach (var kind in new[] { "tmp", "old" })
        {
            foreach (var leftover in TempLeftovers.Abandoned(parent, $".{name}.{kind}", TimeSpan.Zero).ToList())
                if (Directory.Exists(leftover)) Discard(new Staging(leftover, []));
            foreach (var leftover in TempLeftovers.AbandonedOfAnyName(parent, kind, TempLeftovers.QuietTime))
                if (Directory.Exists(leftover)) Discard(new Staging(leftover, []));
        }
    }

    /// <summary>
    /// Removes a staging folder after a failure, and the folders above it that <see cref="Stage"/> made while they
    /// are empty; never throws (the failure is what the user must see).
    /// </summary>
    public static void Discard(Staging staging)
    {
        try
        {
            if (Directory.Exists(staging.Path)) Directory.Delete(staging.Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        MadeFolders.RemoveEmpty(staging.MadeFolders);
    }
}

/// <summary>A folder being written (<see cref="Path"/>), and the folders above the output that staging it made.</summary>
public sealed record Staging(string Path, IReadOnlyList<string> MadeFolders);

/// <summary>An output folder that may not be replaced or created; the command line reports it with exit code 2.</summary>
public sealed class OutputFolderException(string message) : Exception(message);
