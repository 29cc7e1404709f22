namespace Mnist.Search.Files;

/// <summary>
/// Why a folder cannot be made when a file stands where one of its parents should be: .NET says only "Could not find
/// a part of the path", which reads as a missing folder, when the user must move a file (a file named `studies`).
/// </summary>
public static class PathInTheWay
{
    /// <summary>"PATH is a file" for the first file among <paramref name="folder"/> and its parents; null when there is none.</summary>
    public static string? Describe(string folder)
    {
        for (var path = Path.GetFullPath(folder); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path)) return $"{path} is a file, not a folder";
            if (Directory.Exists(path)) return null;
        }
        return null;
    }
}
