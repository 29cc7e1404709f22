namespace Mnist.Search.Tests.Support;

/// <summary>The checkout the tests run from, for tests that read sources and docs.</summary>
internal static class Repository
{
    /// <summary>The folder holding Mnist.Search.sln, found upwards from the test binaries.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Mnist.Search.sln"))) return d.FullName;
        throw new InvalidOperationException("Mnist.Search.sln not found above " + AppContext.BaseDirectory);
    }
}
