using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Reporting;
using Mnist.Search.Vocabulary;
using SkiaSharp;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// The parallel-coordinates figure's first and last axis titles fit in the image (audit-downstream 9: the first title,
/// centred on its axis, ran off the left edge: "onv1_channels (log)").
/// </summary>
public sealed class ParallelCoordinatesEdgeTests
{
    [Theory]
    [InlineData("conv1_channels", 1)]
    [InlineData("translate_fraction", 2)]
    [InlineData("translate_fraction", 8)]
    public async Task NoTextTouchesTheImagesLeftOrRightEdge(string firstName, int otherParameters)
    {
        // Given COMPLETE trials whose first parameter has a long, log-scaled name, and a few other parameters
        using var dir = new TempDirectory("report-parallel-edges");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        var first = new FloatDistribution(0.01, 0.2, Log: true);
        for (var i = 0; i < 3; i++)
        {
            var parameters = new Dictionary<string, (ParameterDistribution, double)> { [firstName] = (first, 0.02 * (i + 1)) };
            for (var k = 0; k < otherParameters; k++) parameters[$"p{k}"] = (new IntDistribution(8, 64), 8 + 8 * i);
            var trial = await study.Storage.CreateTrialAsync(study.Study.Id, TrialState.RUNNING, parameters);
            await study.Storage.FinishTrialAsync(trial.Id, TrialState.COMPLETE, 0.9 + 0.01 * i);
        }

        // When the report is written
        await study.WriteReportAsync(dir["report"]);

        // Then no text (dark pixels: the image is white around its frameless axes) is in its outermost columns
        using var image = SKBitmap.Decode(dir["report/parallel_coordinates.png"]);
        foreach (var x in new[] { 0, 1, 2, image.Width - 3, image.Width - 2, image.Width - 1 })
        {
            var dark = Enumerable.Range(0, image.Height).Count(y => Luminance(image.GetPixel(x, y)) < 160);
            Assert.True(dark == 0, $"column {x} of {image.Width} has {dark} dark pixels: a title is cut at the edge");
        }
    }

    private static double Luminance(SKColor c) => 0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue;
}
