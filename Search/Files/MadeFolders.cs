namespace Mnist.Search.Files;

/// <summary>
/// The folders a command makes on the way to one it needs, so that a failure removes them again: an export, a report
/// or a fetch that failed left the empty parents of its target behind.
/// </summary>
public static class MadeFolders
{
    /// <summary>The missing folders from <paramref name="folder"/> up to the first that exists, deepest first.</summary>
    public static List<string> Missing(string folder)
    {
        var made = new List<string>();
        for (var dir = Path.GetFullPath(folder); !Directory.Exists(dir) && Path.GetDirectoryName(dir) is { } up; dir = up) made.Add(dir);
        return made;
    }

    /// <summary>Removes <paramref name="made"/> (deepest first) while they are empty; never throws (the failure is what the user must see).</summary>
    public static void RemoveEmpty(IEnumerable<string> made)
    {
        try
        {
            foreach (var dir in made.TakeWhile(d => Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any()))
                Directory.Delete(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
