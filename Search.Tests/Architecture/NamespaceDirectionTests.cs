using Mnist.Search.Tests.Support.Architecture;

namespace Mnist.Search.Tests.Architecture;

/// <summary>
/// Imports between the folders of a project point one way (issue 10): shared vocabulary below
/// storage, sampling and pruning, those below the study, the study below the CLI. Reads what the compiled
/// assembly's code refers to (<see cref="TypeReferenceGraph"/>), so a new cycle fails here, not in a review; it read
/// the <c>using</c> lines, which a fully-qualified name or a <c>var</c> of an inferred type passed unseen (code audit,
/// finding 12).
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
        var graph = TypeReferenceGraph.Of(AssemblyFile(project), "Mnist." + project);
        Assert.True(graph.Count >= 3, $"{project}: no folders found in its assembly");
        Assert.True(graph.Values.Sum(v => v.Count) >= 3, $"{project}: no references between its folders found in its assembly");
        return graph;
    }

    private static string AssemblyFile(string project) =>
        Path.Combine(AppContext.BaseDirectory, project == "Protocol" ? "Mnist.Protocol.dll" : project + ".dll");

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
