using Mnist.Search.Space;

namespace Mnist.Search.Tests.Space;

/// <summary>Optuna's distribution_json as Python's json.dumps writes it, non-finite floats included.</summary>
public sealed class DistributionJsonTests
{
    [Fact]
    public void BareNonFiniteTokensAreFloatsAndTheSameWordsInStringsStayStrings()
    {
        // Given a categorical whose choices mix Python's bare Infinity / NaN / -Infinity with strings holding those
        // words (one with an escaped quote before the word, so a naive scan would think the string had ended)
        const string json = """{"name": "CategoricalDistribution", "attributes": {"choices": [Infinity, "NaN", NaN, "a \"Infinity", -Infinity, 2]}}""";

        // When it is read
        var d = Assert.IsType<CategoricalDistribution>(ParameterDistribution.FromOptunaJson(json));

        // Then the bare tokens are the doubles and the strings are untouched
        Assert.Equal(double.PositiveInfinity, d.Choices[0]);
        Assert.Equal("NaN", d.Choices[1]);
        Assert.True(d.Choices[2] is double n && double.IsNaN(n));
        Assert.Equal("a \"Infinity", d.Choices[3]);
        Assert.Equal(double.NegativeInfinity, d.Choices[4]);
        Assert.Equal(2.0, Convert.ToDouble(d.Choices[5], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AFloatDistributionWithAnInfiniteBoundIsRead()
    {
        // Given a float distribution Optuna would store with an infinite high (as -Infinity / Infinity tokens)
        const string json = """{"name": "FloatDistribution", "attributes": {"step": null, "low": -Infinity, "high": Infinity, "log": false}}""";

        // When it is read, then its bounds are the infinities (it threw JsonReaderException on the first 'I')
        var d = Assert.IsType<FloatDistribution>(ParameterDistribution.FromOptunaJson(json));
        Assert.Equal((double.NegativeInfinity, double.PositiveInfinity), (d.Low, d.High));
    }

    [Fact]
    public void IntegerAndFloatChoicesKeepTheirTypesBothWays()
    {
        // Given a categorical as Optuna stores it, integers and whole floats mixed
        const string json = """{"name": "CategoricalDistribution", "attributes": {"choices": [100000, 1.0, 2, 0.5]}}""";

        // When it is read and written again
        var d = Assert.IsType<CategoricalDistribution>(ParameterDistribution.FromOptunaJson(json));
        var written = d.ToOptunaJson().ToJsonString();

        // Then integers stay long (every number came back a double, 100000 printed as 1E+05) and whole floats stay
        // double; written, 1.0 keeps its ".0" (it was written 1, which Optuna, and this reader, took for an int)
        Assert.IsType<long>(d.Choices[0]);
        Assert.Equal(100000L, d.Choices[0]);
        Assert.IsType<double>(d.Choices[1]);
        Assert.IsType<long>(d.Choices[2]);
        Assert.Equal("100000", Mnist.Search.Reporting.TrialStyle.Format(d.ToExternal(0)));
        Assert.Contains("[100000,1.0,2,0.5]", written.Replace(" ", ""));
        var again = Assert.IsType<CategoricalDistribution>(ParameterDistribution.FromOptunaJson(written));
        Assert.Equal(d.Choices.Select(c => c!.GetType()), again.Choices.Select(c => c!.GetType()));
    }
}
