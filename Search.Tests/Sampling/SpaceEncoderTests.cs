using Mnist.Search.Gp;
using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;

namespace Mnist.Search.Tests.Sampling;

public sealed class SpaceEncoderTests
{
    [Fact]
    public void WhenEncodedAndDecodedThenInternalValuesRoundTrip()
    {
        // Given a value for every kind of distribution
        var encoder = new SpaceEncoder(TrialHistory.Mixed);
        var values = new Dictionary<string, double>
        {
            ["layers"] = 3, ["channels"] = 64, ["batch"] = 96, ["dropout"] = 0.25, ["lr"] = 3e-4,
            ["momentum"] = 0.85, ["optimizer"] = 2, ["batch_norm"] = 1,
        };

        // When
        var features = encoder.Encode(values);
        var decoded = encoder.Decode(features);

        // Then: 6 numeric columns + 3 + 2 one-hot columns, all in [0, 1], and the values come back
        Assert.Equal(11, encoder.Columns);
        Assert.All(features, f => Assert.InRange(f, 0.0, 1.0));
        foreach (var (name, value) in values) Assert.Equal(value, decoded[name], 9);
    }

    [Fact]
    public void WhenEncodingIntsThenEachValueOwnsAnEqualSliceOfTheUnitInterval()
    {
        // Given ints 1..4: slices of width 1/4 centred on each value
        var encoder = new SpaceEncoder(TrialHistory.Space(("n", new IntDistribution(1, 4))));

        // Then the grid sits at the slice centres and rounding a uniform draw picks the slice's value
        Assert.Equal([0.125, 0.375, 0.625, 0.875], encoder.Dimensions[0].Grid!);
        Assert.Equal(1, encoder.FromUniform([0.0])["n"]);
        Assert.Equal(2, encoder.FromUniform([0.26])["n"]);
        Assert.Equal(4, encoder.FromUniform([0.999])["n"]);
    }

    [Theory]
    [InlineData(1e10, 1e-10)]   // 1e20 values: past long's range
    [InlineData(1e300, 1e-300)] // an infinite count
    public void WhenAStepMakesMoreValuesThanALongCountsThenDrawsStillSpanTheRange(double high, double step)
    {
        // Given a stepped float Optuna wrote (search.json refuses it now) whose count saturated a long and wrapped
        // negative: the GP's grid was empty and indexing it threw, and every draw was low + 2^63·step
        var encoder = new SpaceEncoder(TrialHistory.Space(("x", new FloatDistribution(0, high, Step: step))));

        // When uniform draws across the unit interval are decoded
        var xs = new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }.Select(u => encoder.FromUniform([u])["x"]).ToArray();

        // Then each is a different value inside the range, from low to high
        Assert.Equal(5, xs.Distinct().Count());
        Assert.All(xs, x => Assert.InRange(x, 0, high));
        Assert.Equal((0.0, high), (xs[0], xs[^1]));
    }

    [Fact]
    public void WhenEncodingLogFloatsThenTheGeometricMiddleMapsToTheCentre()
    {
        var encoder = new SpaceEncoder(TrialHistory.Space(("lr", new FloatDistribution(1e-4, 1e-2, Log: true))));
        Assert.Equal(0.5, encoder.Encode(new Dictionary<string, double> { ["lr"] = 1e-3 })[0], 12);
        Assert.Equal(FeatureKind.Continuous, encoder.Dimensions[0].Kind);
    }

    [Fact]
    public void WhenCategoricalFeaturesAreRelaxedThenTheLargestColumnIsTheChoice()
    {
        var encoder = new SpaceEncoder(TrialHistory.Space(("opt", new CategoricalDistribution(["a", "b", "c"]))));
        Assert.Equal(2, encoder.Decode([0.2, 0.3, 0.5])["opt"]);
    }

    [Fact]
    public void WhenCategoricalChoicesAreIncreasingNumbersThenTheyShareOneOrderedColumn()
    {
        // Given batch sizes as a categorical (log-spaced numbers), and choices that are not an ordered quantity
        var encoder = new SpaceEncoder(TrialHistory.Space(
            ("batch_size", new CategoricalDistribution([64L, 128L, 256L])),
            ("shift", new CategoricalDistribution([-1.0, 0.0, 3.0])),
            ("unordered", new CategoricalDistribution([128L, 64L])),
            ("mixed", new CategoricalDistribution([1L, "two"]))));

        // Then the numbers take one discrete column at their (log when positive) positions, in [0, 1] ...
        Assert.Equal(FeatureKind.Discrete, encoder.Dimensions[0].Kind);
        Assert.Equal([0.0, 0.5, 1.0], encoder.Dimensions[0].Grid!);
        Assert.Equal([0.0, 0.25, 1.0], encoder.Dimensions[1].Grid!);
        // ... the others stay one-hot
        Assert.Equal(FeatureKind.Categorical, encoder.Dimensions[2].Kind);
        Assert.Equal(FeatureKind.Categorical, encoder.Dimensions[3].Kind);
        Assert.Equal(1 + 1 + 2 + 2, encoder.Columns);

        // And the choice index round-trips, a relaxed column value decodes to the nearest choice
        var values = new Dictionary<string, double> { ["batch_size"] = 1, ["shift"] = 2, ["unordered"] = 1, ["mixed"] = 0 };
        var features = encoder.Encode(values);
        Assert.Equal(0.5, features[0]);
        Assert.Equal(values, encoder.Decode(features));
        features[0] = 0.8;
        Assert.Equal(2, encoder.Decode(features)["batch_size"]);
        Assert.Equal(0, encoder.FromUniform([0.1, 0.1, 0.1, 0.1])["batch_size"]);
    }
}
