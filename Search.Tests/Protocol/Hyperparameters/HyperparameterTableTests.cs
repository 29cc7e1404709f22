using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Protocol.Hyperparameters;
using Mnist.Trials.Protocol;

namespace Mnist.Search.Tests.Protocol.Hyperparameters;

/// <summary>
/// Everything that lists the hyperparameters agrees with <see cref="HyperparameterTable"/>: the worker's
/// typed record and the tables in README.md and docs/worker-protocol.md.
/// </summary>
public sealed class HyperparameterTableTests
{
    private const string Begin = "<!-- hyperparameters:begin -->\n";
    private const string End = "<!-- hyperparameters:end -->";

    [Fact]
    public void TheWorkersRecordHasOnePropertyPerRowInTableOrderWithTheTablesDefault()
    {
        // When the worker's default record is written as the start event and the sidecar write it
        var json = JsonSerializer.SerializeToNode(new Mnist.Trials.Protocol.Hyperparameters())!.AsObject();

        // Then it lists exactly the table's names, in order, each with the table's default
        Assert.Equal(HyperparameterTable.All.Select(h => h.Name), json.Select(p => p.Key));
        foreach (var h in HyperparameterTable.All)
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(h.DefaultJson), json[h.Name]), $"{h.Name}: table {h.DefaultJson}, record {json[h.Name]}");
        Assert.Equal(new Mnist.Trials.Protocol.Hyperparameters(), Mnist.Trials.Protocol.Hyperparameters.From(HyperparameterTable.Defaults));
    }

    [Fact]
    public void EveryDefaultIsAnAcceptedValue()
    {
        foreach (var h in HyperparameterTable.All)
            Assert.True(h.Refusal(h.Default) is null, $"{h.Name}: default {h.DefaultJson} {h.Refusal(h.Default)}");
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/worker-protocol.md")]
    public void TheDocsCarryTheTableAsTheCodeHasIt(string doc)
    {
        // Given the doc's table between the markers
        var text = File.ReadAllText(Path.Combine(Repository.Root, doc)).ReplaceLineEndings("\n");
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{doc}: no {Begin.Trim()} ... {End} block");

        // Then it is the table generated from the code (paste the expected text below to update it)
        var expected = HyperparameterTable.ToMarkdown();
        Assert.True(expected == text[(start + Begin.Length)..end], $"{doc}: the hyperparameter table differs from HyperparameterTable; expected:\n{expected}");
    }
}
