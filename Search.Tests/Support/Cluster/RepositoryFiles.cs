namespace Mnist.Search.Tests.Support.Cluster;

/// <summary>Files of this repository (deploy recipes, scripts), found above the test binaries.</summary>
internal static class RepositoryFiles
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Mnist.Search.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("Mnist.Search.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);
}
