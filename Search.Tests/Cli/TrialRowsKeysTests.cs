using System.Reflection;
using Mnist.Search.Cli;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The keys of a trial in <c>trials list</c> and <c>trials show</c> have one spelling, <see cref="TrialRows.Keys"/>:
/// they were literals beside study-attribute constants of the same spelling, and README's documented names among them.
/// </summary>
public sealed class TrialRowsKeysTests
{
    private static readonly TrialSnapshot Trial = new(1, 0, TrialState.COMPLETE, 0.9, new Dictionary<string, double>(),
        new Dictionary<string, ParameterDistribution>(), new Dictionary<int, double> { [1] = 0.9 }, DateTime.Now, DateTime.Now,
        new Dictionary<string, string>(), new Dictionary<string, string>());

    private static HashSet<string> Constants() =>
        [.. typeof(TrialRows.Keys).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];

    [Fact]
    public void EveryKeyOfATrialsJsonIsAKeysConstantAndEveryConstantIsUsed()
    {
        // Given the JSON of one trial, as trials list and trials show give it
        var list = TrialRows.JsonSummary(Trial, []).Keys;
        var show = TrialRows.Detail(Trial).Select(p => p.Key).Where(k => k != StudyAttributes.FixedParams);

        // Then their keys are the constants, all of them
        var keys = list.Concat(show).ToHashSet();
        Assert.Empty(keys.Except(Constants()));
        Assert.Empty(Constants().Except(keys));
    }

    [Theory]
    [InlineData(TrialRows.Keys.Params)]
    [InlineData(TrialRows.Keys.EpochsDone)]
    [InlineData(TrialRows.Keys.Epochs)]
    public void READMEsNamesOfATrialsFactsAreTheKeysItPrints(string key)
    {
        // Given README's "In JSON a fact has one name" paragraph
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));

        // Then it names the key as printed
        Assert.Contains($"`{key}`", readme);
    }
}
