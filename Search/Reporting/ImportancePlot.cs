using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>Horizontal bars of <see cref="ParameterImportance"/>, most important on top.</summary>
internal static class ImportancePlot
{
    public const string Title = "Parameter importance";
    public const string FileName = "importance.png";

    public static ReportFigure Draw(StudyReportData data, string directory)
    {
        var (importances, missing) = ParameterImportance.Compute(data.Trials);
        if (missing is not null) return ReportFigure.Absent(Title, missing);

        var plot = new Plot();
        var n = importances.Count;
        // Row n-1 at the top holds the most important parameter.
        var bars = importances.Select((p, i) => new Bar
        {
            Position = n - 1 - i,
            Value = p.Importance,
            FillColor = Color.FromHex("#1f77b4"),
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        foreach (var (p, i) in importances.Select((p, i) => (p, i)))
        {
            var label = plot.Add.Text(p.Importance.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), p.Importance, n - 1 - i);
            label.LabelAlignment = Alignment.MiddleLeft;
            label.LabelOffsetX = 4;
            label.LabelFontSize = 12;
        }
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), importances.Select(p => p.Name).ToArray());
        plot.Axes.SetLimits(0, Math.Min(1.15, importances.Max(p => p.Importance) * 1.2 + 0.02), -0.6, n - 0.4);
        plot.Title($"{data.Study.Name}: parameter importance");
        plot.XLabel("share of the surrogate's sensitivity (sums to 1)");
        Atomic.SavePng(plot, Path.Combine(directory, FileName), 800, Math.Max(260, 120 + 45 * n));
        return ReportFigure.Drawn(Title, FileName, ParameterImportance.Method);
    }
}
