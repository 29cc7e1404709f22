using Mnist.Search.Config;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Docs;

/// <summary>The default study (search.json at the root) is valid, and README shows it as it is.</summary>
public sealed class DefaultStudyTests
{
    private static string SearchJson => Path.Combine(Repository.Root, "search.json");

    [Fact]
    public void TheReadmeShowsTheDefaultSearchJsonVerbatim()
    {
        // Given the README's search.json section and the file
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        const string heading = "## search.json\n\n```json\n";
        var start = readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## search.json' section with a json block");
        start += heading.Length;
        var block = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        // Then the block is the file, byte for byte (one source of truth: the file)
        Assert.Equal(File.ReadAllText(SearchJson), block);
    }

    [Fact]
    public void TheDefaultStudyLoadsAndItsGpModelsTheFidelityOfItsPrunedTrials()
    {
        // Given the shipped search.json
        var config = StudyConfigLoader.Load(SearchJson);

        // Then it loads, prunes with ASHA over more than one epoch, and runs the GP, so the GP sees fidelities
        Assert.Equal(PrunerKind.Asha, config.Pruner.Kind);
        Assert.True(config.Budget.Epochs > 1);
        Assert.Equal(SamplerKind.Gp, config.Sampler.Kind);
        Assert.True(config.Retrain.Enabled);
    }
}
