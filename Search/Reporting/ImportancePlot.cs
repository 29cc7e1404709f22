using System.Globalization;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>
/// Horizontal bars of <see cref="ParameterImportance"/>, most important on top, with the same numbers as a table under
/// the figure, the parameters left out and, for few trials, a warning.
/// </summary>
internal static class ImportancePlot
{
    public const string Title = "Parameter importance";
    public const string FileName = "importance.png";
    private const int Width = 800;

    public static ReportFigure Draw(StudyReportData data, string directory)
    {
        var (importances, missing) = ParameterImportance.Compute(data.Trials, data.SpaceNames);
        if (missing is not null) return ReportFigure.Absent(Title, missing);
        var complete = ParameterImportance.Complete(data.Trials).Count;

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
            var label = plot.Add.Text(Share(p.Importance), p.Importance, n - 1 - i);
            label.LabelAlignment = Alignment.MiddleLeft;
            label.LabelOffsetX = 4;
            label.LabelFontSize = 12;
        }
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), importances.Select(p => p.Name).ToArray());
        plot.Axes.SetLimits(0, Math.Min(1.15, importances.Max(p => p.Importance) * 1.2 + 0.02), -0.6, n - 0.4);
        plot.Title($"{data.Study.Name}: parameter importance");
        plot.XLabel("share of the surrogate's sensitivity (sums to 1)");
        var height = Math.Max(260, 120 + 45 * n);
        Atomic.SavePng(plot, Path.Combine(directory, FileName), Width, height);

        var listed = string.Join(", ", importances.Select(p => $"{p.Name} {Share(p.Importance)}"));
        var leftOut = ParameterImportance.LeftOut(data.Trials, data.SpaceNames);
        IReadOnlyList<string> notes = leftOut.Count == 0 ? [] :
            [$"Left out, as not in every COMPLETE trial (a conditional parameter, or one another client's trials lack): {string.Join(", ", leftOut)}."];
        IReadOnlyList<string> warnings = complete >= ParameterImportance.ReliableTrials ? [] :
            [$"Few trials: with {complete} COMPLETE trial{(complete == 1 ? "" : "s")} (fewer than {ParameterImportance.ReliableTrials}), "
                + "these importances are unreliable; another method (Optuna's fANOVA or PedAnova) may rank the parameters differently."];
        return ReportFigure.Drawn(Title, FileName, ParameterImportance.Method, Width, height,
                $"Bar chart of parameter importance from {complete} COMPLETE trials, largest first: {listed}. The table below lists the same values.")
            with
            {
                Notes = notes,
                Warnings = warnings,
                Data = new ReportTable(
                    $"Parameter importance: permutation importance of a Gaussian-process surrogate, from {complete} COMPLETE trials (shares sum to 1)",
                    ["parameter", "importance"], importances.Select(p => (IReadOnlyList<string>)[p.Name, Share(p.Importance)]).ToArray(), Collapsed: false),
            };
    }

    // Two decimals: the surrogate is fitted to a few dozen trials at most, and a third decimal (0.338) claimed a
    // precision no importance method has there (audit 1207, finding 3).
    private static string Share(double importance) => importance.ToString("0.00", CultureInfo.InvariantCulture);
}
