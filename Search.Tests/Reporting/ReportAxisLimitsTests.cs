using Mnist.Search.Reporting;
using Mnist.Search.Tests.Support.Reporting;
using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// Figures of data that spans nothing on an axis (one trial, one epoch, equal values) are drawn around that value
/// (audit-downstream 10: ScottPlot's autoscale gave y −0.2…1.8 for a validation accuracy of 0.793, and trial numbers −1…1).
/// </summary>
public sealed class ReportAxisLimitsTests
{
    [Fact]
    public async Task ASingleTrialOfOneEpochIsDrawnAroundItsValueAndItsTrialNumberAndEpochAlone()
    {
        // Given a study with one COMPLETE trial that ran one epoch, validation accuracy 0.793
        using var dir = new TempDirectory("report-limits-single");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        await study.AddTrialAsync(TrialState.COMPLETE, 1e-3, 16, "adam", [0.793]);

        // When the report is written and its figures laid out at their size
        await study.WriteReportAsync(dir["report"]);
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!;

        // Then the history spans trial 0 alone (no tick at -1 or 1) and a narrow band around 0.793
        var history = LimitsOf(HistoryPlot.Build(data)!, dir["report/history.png"]);
        AssertAround(history, x: 0, y: 0.793);
        // And so do the learning curves around epoch 1, the objective's 0.793 and the losses derived from it
        AssertAround(LimitsOf(LearningCurvesPlot.BuildObjective(data)!, dir["report/learning_curves.png"]), x: 1, y: 0.793);
        var losses = LimitsOf(LearningCurvesPlot.BuildLosses(data)!, dir["report/loss_curves.png"]);
        Assert.True(losses.Left > 0 && losses.Right < 2, $"loss curves: x {losses.Left}…{losses.Right}");
        Assert.True(losses.Bottom > 0 && losses.Top < 1, $"loss curves: y {losses.Bottom}…{losses.Top}");
    }

    [Fact]
    public async Task TrialsOfEqualValuesAreDrawnAroundThatValue()
    {
        // Given three COMPLETE trials of the same value 0.9 (their curves equal too)
        using var dir = new TempDirectory("report-limits-equal");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"]);
        for (var i = 0; i < 3; i++) await study.AddTrialAsync(TrialState.COMPLETE, 1e-3 * (i + 1), 16, "adam", [0.9, 0.9]);

        // When the report is written
        await study.WriteReportAsync(dir["report"]);
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!;

        // Then the history's y axis is a narrow band around 0.9, its x axis the trial numbers as usual
        var history = LimitsOf(HistoryPlot.Build(data)!, dir["report/history.png"]);
        Assert.True(history.Bottom > 0.8 && history.Bottom < 0.9 && history.Top > 0.9 && history.Top < 1.0, $"history: y {history.Bottom}…{history.Top}");
        Assert.True(history.Left <= 0 && history.Right >= 2 && history.Left > -1 && history.Right < 3, $"history: x {history.Left}…{history.Right}");
        var curves = LimitsOf(LearningCurvesPlot.BuildObjective(data)!, dir["report/learning_curves.png"]);
        Assert.True(curves.Bottom > 0.8 && curves.Top < 1.0, $"objective curves: y {curves.Bottom}…{curves.Top}");
    }

    // The limits the figure is drawn with, laid out at the size of the report's PNG.
    private static AxisLimits LimitsOf(Plot plot, string png)
    {
        var (width, height) = PngFile.Size(png);
        plot.RenderInMemory(width, height);
        return plot.Axes.GetLimits();
    }

    private static void AssertAround(AxisLimits limits, double x, double y)
    {
        Assert.True(limits.Left < x && limits.Right > x && limits.Left > x - 1 && limits.Right < x + 1, $"x {limits.Left}…{limits.Right} around {x}");
        Assert.True(limits.Bottom < y && limits.Top > y && limits.Bottom > y - 0.1 && limits.Top < y + 0.1, $"y {limits.Bottom}…{limits.Top} around {y}");
    }
}
