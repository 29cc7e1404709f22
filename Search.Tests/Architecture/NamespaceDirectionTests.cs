using System.Text.RegularExpressions;

namespace Mnist.Search.Tests.Architecture;

/// <summary>
/// Imports between the folders of a project point one way (issue 10): shared vocabulary below
/// storage, sampling and pruning, those below the study, the study below the CLI. Reads the
/// <c>using Mnist.X.Folder</c> lines of the sources, so a new cycle fails here, not in a review.
/// </summary>
public sealed class NamespaceDirectionTests
{
    [Theory]
    [InlineData("Search")]
    [InlineData("Trials")]
    [InlineData("Protocol")]
    public void FolderImportsFormNoCycle(string project)
    {
        // Given the folder-to-folder imports of the project
        var graph = ImportGraph(project);

        // When looking for a cycle
        var cycle = FindCycle(graph);

        // Then there is none
        Assert.True(cycle is null, $"{project}: namespace cycle {string.Join(" -> ", cycle ?? [])}");
    }

    [Theory]
    [InlineData("Vocabulary", "Study")]
    [InlineData("Vocabulary", "Storage")]
    [InlineData("Storage", "Study")]
    [InlineData("Sampling", "Study")]
    [InlineData("Pruning", "Study")]
    [InlineData("Config", "Study")]
    [InlineData("Study", "Cli")]
    [InlineData("Reporting", "Retraining")]
    public void LowerSearchFoldersDoNotImportHigherOnes(string lower, string higher)
    {
        // Given the coordinator's imports
        var graph = ImportGraph("Search");

        // Then the lower folder does not import the higher one
        Assert.DoesNotContain(higher, graph.GetValueOrDefault(lower, []));
    }

    [Fact]
    public void TheWorkersProtocolFolderImportsNoTrainingCode()
    {
        // Given the worker's imports
        var graph = ImportGraph("Trials");

        // Then Protocol holds the protocol only: no training pipeline, model or native tuning
        Assert.Empty(graph.GetValueOrDefault("Protocol", []));
    }

    [Fact]
    public void TheCoordinatorAndTheContractReferenceNoTorchSharp()
    {
        // Given the coordinator and the contract it shares with the worker
        var assemblies = new[] { typeof(Mnist.Search.Config.StudyConfig).Assembly, typeof(Mnist.Protocol.Specs.TrialSpec).Assembly };

        // Then neither references TorchSharp: the coordinator never loads libtorch
        foreach (var assembly in assemblies)
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("TorchSharp", StringComparison.Ordinal));
    }

    private static Dictionary<string, HashSet<string>> ImportGraph(string project)
    {
        var root = Path.Combine(Repository.Root, project);
        var prefix = "Mnist." + project;
        var usingLine = new Regex($@"^using (?:static )?{Regex.Escape(prefix)}\.(\w+)", RegexOptions.Multiline);
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
            if (relative.Length < 2 || relative[0] is "bin" or "obj") continue;
            var folder = relative[0];
            var imports = graph.TryGetValue(folder, out var set) ? set : graph[folder] = [];
            foreach (Match m in usingLine.Matches(File.ReadAllText(file)))
                if (m.Groups[1].Value != folder) imports.Add(m.Groups[1].Value);
        }
        Assert.True(graph.Count >= 3, $"no source folders found under {root}");
        return graph;
    }

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var done = new HashSet<string>();
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            int at = path.IndexOf(node);
            if (at >= 0) return [.. path[at..], node];
            if (!done.Add(node)) return null;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node, []).Order())
                if (Visit(next) is { } cycle) return cycle;
            path.RemoveAt(path.Count - 1);
            return null;
        }
        foreach (var node in graph.Keys.Order())
            if (Visit(node) is { } cycle) return cycle;
        return null;
    }
}
