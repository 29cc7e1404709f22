using Mnist.Search.Gp;
using Mnist.Search.Sampling;
using Mnist.Search.Tests.Sampling;
using Mnist.Search.Tests.Support.Sampling;

namespace Mnist.Search.Tests.Gp;

/// <summary>
/// log EI with a conditional space's projection (<see cref="SpaceEncoder.Projection"/>): a column the point's values
/// leave out changes neither its value nor, in the other columns, its gradient, so the optimizer never follows it.
/// </summary>
public sealed class ProjectedAcquisitionTests
{
    /// <summary>A GP on 16 encoded points of <see cref="ConditionalSpaceTests.Space"/>, some with 1, 2 or 3 conv layers.</summary>
    private static (SpaceEncoder Encoder, GaussianProcess Gp, double Best) Fitted()
    {
        var encoder = new SpaceEncoder(ConditionalSpaceTests.Space);
        var rng = new Random(3);
        var values = Enumerable.Range(0, 16)
            .Select(_ => ConditionalSpaceTests.Space.Active(encoder.FromUniform(new[] { rng.NextDouble(), rng.NextDouble(), rng.NextDouble(), rng.NextDouble() })))
            .ToList();
        var x = values.Select(encoder.Encode).ToArray();
        var y = values.Select(ConditionalSpaceTests.Objective).ToArray();
        var mean = y.Average();
        var sd = Math.Sqrt(y.Average(v => (v - mean) * (v - mean)));
        var standardized = y.Select(v => (v - mean) / sd).ToArray();
        return (encoder, new GaussianProcess(x, standardized, GpFitter.Fit(x, standardized, new Random(3))), standardized.Min());
    }

    [Fact]
    public void APointIsScoredTheSameWhateverItsInactiveColumnsHold()
    {
        // Given log EI of a GP fitted to conditional points, with the encoder's projection
        var (encoder, gp, best) = Fitted();
        var acquisition = new LogEiAcquisition(gp, best, encoder.Projection);
        var conv3 = encoder.Dimensions[2].Column;

        // When a 2-layer point is scored with two different conv3 columns (conv3 is read from 3 layers)
        var x = encoder.Encode(new Dictionary<string, double> { ["conv_layers"] = 2, ["conv2_channels"] = 40, ["learning_rate"] = 3e-3 });
        var (a, b) = (x.ToArray(), x.ToArray());
        (a[conv3], b[conv3]) = (0.05, 0.95);

        // Then both score the same, and without the projection they would not (the test can tell)
        Assert.Equal(acquisition.Value(a), acquisition.Value(b));
        var unprojected = new LogEiAcquisition(gp, best);
        Assert.NotEqual(unprojected.Value(a), unprojected.Value(b));
    }

    [Fact]
    public void TheGradientIsZeroInInactiveColumnsAndTheFiniteDifferenceInTheOthers()
    {
        // Given the projected log EI and a 2-layer point whose conv3 column holds some value
        var (encoder, gp, best) = Fitted();
        var acquisition = new LogEiAcquisition(gp, best, encoder.Projection);
        var x = encoder.Encode(new Dictionary<string, double> { ["conv_layers"] = 2, ["conv2_channels"] = 40, ["learning_rate"] = 3e-3 });
        x[encoder.Dimensions[2].Column] = 0.8;

        // When its gradient is computed
        var gradient = new double[x.Length];
        acquisition.ValueAndGradient(x, gradient);

        // Then it is exactly 0 in conv3's column and a central finite difference (h = 1e-6) in each other column
        Assert.Equal(0.0, gradient[encoder.Dimensions[2].Column]);
        foreach (var d in new[] { encoder.Dimensions[0].Column, encoder.Dimensions[1].Column, encoder.Dimensions[3].Column })
        {
            var (up, down) = (x.ToArray(), x.ToArray());
            up[d] += 1e-6;
            down[d] -= 1e-6;
            var difference = (acquisition.Value(up) - acquisition.Value(down)) / 2e-6;
            Assert.True(Math.Abs(gradient[d] - difference) <= 1e-4 * Math.Abs(difference) + 1e-9, $"column {d}: {gradient[d]} vs {difference}");
        }
    }

    [Fact]
    public void AGivenParentsColumnIsFixedAtItsValue()
    {
        // Given the projection of a space whose conv_layers is given as 3 (an enqueued trial's)
        var encoder = new SpaceEncoder(ConditionalSpaceTests.Space with { Given = new Dictionary<string, double> { ["conv_layers"] = 3 } });
        var x = encoder.Encode(new Dictionary<string, double> { ["conv_layers"] = 1, ["learning_rate"] = 1e-3 });
        x[encoder.Dimensions[1].Column] = 0.2;
        x[encoder.Dimensions[2].Column] = 0.7;
        var fixedColumns = new bool[x.Length];

        // When a 1-layer point is projected
        encoder.Projection!(x, fixedColumns);

        // Then conv_layers takes 3's feature and is fixed, and conv2/conv3, which 3 layers read, are left to the optimizer
        Assert.Equal(3.0, encoder.Decode(x)["conv_layers"]);
        Assert.Equal((0.2, 0.7), (x[encoder.Dimensions[1].Column], x[encoder.Dimensions[2].Column]));
        Assert.Equal([true, false, false, false], fixedColumns);
    }
}
