using System.Reflection;

namespace Mnist.Search.Cluster;

/// <summary>
/// How to start this same program again on a cluster node: its apphost, or the <c>dotnet</c> host with this
/// assembly. The node runs the build the user submitted from, so the repository (or an installed copy)
/// must be on a filesystem the nodes share, as it is on most clusters.
/// </summary>
internal static class SelfCommand
{
    public static IReadOnlyList<string> Current()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown");
        var assembly = Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && !string.IsNullOrEmpty(assembly)
            ? [process, assembly]
            : [process];
    }
}
