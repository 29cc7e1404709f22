using Mnist.Search.Reporting;
using Mnist.Search.Tests.Support.Reporting;
using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// The legends of the history and learning-curve figures hide no data point (audit-downstream 4: placed in the
/// worst-value corner on the late side, they covered the latest, worst trial).
/// </summary>
public sealed class ReportLegendTests
{
    public static TheoryData<StudyDirection, double[][]> LateWorstTrials => new()
    {
        // Maximized: the last trial's accuracy falls to 0.3 (lower right; its losses rise to the upper right).
        { StudyDirection.MAXIMIZE, [[0.6, 0.7, 0.8], [0.7, 0.85, 0.9], [0.65, 0.8, 0.85], [0.9, 0.6, 0.3]] },
        // Minimized (the audit's val_loss study, 0.845 / 0.702 / 0.815 / 1.055): the last trial ends highest (upper right).
        { StudyDirection.MINIMIZE, [[0.95, 0.9, 0.845], [0.8, 0.75, 0.702], [0.9, 0.85, 0.815], [0.7, 0.9, 1.055]] },
    };

    [Theory]
    [MemberData(nameof(LateWorstTrials))]
    public async Task EveryCompleteTrialsPointIsVisibleInTheHistoryAndCurveFigures(StudyDirection direction, double[][] curves)
    {
        // Given a study whose latest trial is its worst, ending in the worst-value corner on the late side
        using var dir = new TempDirectory("report-legend");
        await using var study = await ReportStudy.CreateAsync(dir["study.db"], direction: direction);
        foreach (var (curve, i) in curves.Select((c, i) => (c, i)))
            await study.AddTrialAsync(TrialState.COMPLETE, 1e-3 * (i + 1), 16, "adam", curve);

        // When the report is written
        await study.WriteReportAsync(dir["report"]);

        // Then in each figure every trial's last point shows its trial's colour (a legend box over it showed none)
        var data = (await StudyReportData.LoadAsync(study.Storage, study.Study.Name))!;
        var blue = TrialStyle.ColorOf(TrialState.COMPLETE);
        var epochs = curves[0].Length;
        var hidden = new List<string>();
        foreach (var (curve, i) in curves.Select((c, i) => (c, i)))
        {
            Check(dir["report/history.png"], HistoryPlot.Build(data)!, i, curve[^1], $"history, trial {i}");
            Check(dir["report/learning_curves.png"], LearningCurvesPlot.BuildObjective(data)!, epochs, curve[^1], $"objective curve, trial {i}");
            // (the losses ReportStudy derives from the accuracy-like curve)
            Check(dir["report/loss_curves.png"], LearningCurvesPlot.BuildLosses(data)!, epochs, 1.5 * (1 - curve[^1]) + 0.05, $"train loss, trial {i}");
        }
        Assert.Empty(hidden);

        void Check(string png, Plot plot, double x, double y, string what)
        {
            var shades = PlotPixels.ShadesNear(png, plot, x, y, blue);
            if (shades < 3) hidden.Add($"{what}: the point ({x}, {y}) is hidden in {Path.GetFileName(png)} ({shades} pixels of its colour around it)");
        }
    }
}
