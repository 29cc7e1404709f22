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
}
