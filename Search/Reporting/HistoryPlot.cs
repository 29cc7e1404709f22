using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>
/// Optimization history: each COMPLETE trial's value by trial number, the best value so far as a step line,
/// PRUNED trials at their last reported value (not candidates for best), FAIL trials as red vertical lines.
/// </summary>
internal static class HistoryPlot
{
    public const string Title = "Optimization history";
    public const string FileName = "history.png";
    public const int Width = 900;
    public const int Height = 500;

    public static ReportFigure Draw(StudyReportData data, string directory)
    {
        if (Build(data) is not { } plot)
            return ReportFigure.Absent(Title,
                $"no trial has a value yet ({data.Trials.Count(t => t.State == TrialState.FAIL)} failed, {data.Trials.Count} in all)");
        Atomic.SavePng(plot, Path.Combine(directory, FileName), Width, Height);
        return ReportFigure.Drawn(Title, FileName,
                "Dots: COMPLETE trials; black step line: best value so far; open circles: PRUNED trials at their last reported epoch; dashed red lines: FAIL trials.",
                Width, Height, Alt(data))
            with { Data = Table(data) };
    }

    /// <summary>What the figure shows, in words: where the best value started and ended, and what was pruned or failed.</summary>
    private static string Alt(StudyReportData data)
    {
        var maximize = data.Study.Direction == StudyDirection.MAXIMIZE;
        var complete = Complete(data);
        var text = $"Optimization history of {TrialStyle.Count(data.Trials.Count, "trial")}. ";
        if (complete.Length > 0)
        {
            var first = complete[0];
            var best = complete.Aggregate((b, t) => maximize ? (t.Value > b.Value ? t : b) : (t.Value < b.Value ? t : b));
            text += best.Number == first.Number
                ? $"Best {data.ObjectiveName} stayed at {TrialStyle.Format(first.Value)} (trial {first.Number}) over {TrialStyle.Count(complete.Length, "COMPLETE trial")}"
                : $"Best {data.ObjectiveName} {(maximize ? "rose" : "fell")} from {TrialStyle.Format(first.Value)} (trial {first.Number}) "
                  + $"to {TrialStyle.Format(best.Value)} (trial {best.Number}) over {TrialStyle.Count(complete.Length, "COMPLETE trial")}";
        }
        else text += "No trial COMPLETE";
        // What Build leaves out is said to be left out: a COMPLETE value of ±Infinity (Optuna allows it), a PRUNED trial
        // whose last epoch's value is NaN or none.
        var unbounded = data.Trials.Count(t => t.State == TrialState.COMPLETE && t.Value is { } v && !double.IsFinite(v));
        var pruned = Pruned(data).Length;
        var prunedOff = data.Trials.Count(t => t.State == TrialState.PRUNED) - pruned;
        var failed = data.Trials.Count(t => t.State == TrialState.FAIL);
        if (unbounded > 0) text += $"; {unbounded} COMPLETE with a value that is not finite (not drawn)";
        if (pruned > 0) text += $"; {pruned} PRUNED (drawn at {(pruned == 1 ? "its" : "their")} last epoch's value)";
        if (prunedOff > 0) text += $"; {prunedOff} PRUNED without a finite last epoch's value (not drawn)";
        if (failed > 0) text += $"; {failed} FAIL";
        return text + ". The table under the figure lists each trial's value.";
    }

    private static ReportTable Table(StudyReportData data)
    {
        var maximize = data.Study.Direction == StudyDirection.MAXIMIZE;
        double? best = null;
        var rows = new List<IReadOnlyList<string>>();
        foreach (var t in data.Trials.OrderBy(t => t.Number))
        {
            string value;
            if (t.State == TrialState.COMPLETE && t.Value is { } v)
            {
                // A value of ±Infinity is shown as such (it fell through to the last epoch's value, "NaN (epoch 1)"),
                // and is never the best (as everywhere else: TrialRows, BestTrial).
                if (double.IsFinite(v)) best = best is not { } b ? v : maximize ? Math.Max(b, v) : Math.Min(b, v);
                value = TrialStyle.Format(v);
            }
            else value = t.LastIntermediate is { } last ? $"{TrialStyle.Format(last.Value)} (epoch {last.Step})" : "";
            rows.Add([t.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), t.State.ToString(), value, TrialStyle.Format(best)]);
        }
        return new ReportTable($"Optimization history: each trial's {data.ObjectiveName} (a trial that did not complete: its last epoch's) and the best so far",
            ["trial", "state", data.ObjectiveName, "best so far"], rows);
    }

    private static TrialSnapshot[] Complete(StudyReportData data) =>
        data.Trials.Where(t => t.State == TrialState.COMPLETE && t.Value is { } v && double.IsFinite(v)).OrderBy(t => t.Number).ToArray();

    /// <summary>The PRUNED trials drawn: those whose last epoch's value is finite.</summary>
    private static TrialSnapshot[] Pruned(StudyReportData data) =>
        data.Trials.Where(t => t.State == TrialState.PRUNED && t.LastIntermediate is { } l && double.IsFinite(l.Value)).ToArray();

    /// <summary>The figure <see cref="Draw"/> saves (tests render it to find where its points are); null when no trial has a value.</summary>
    internal static Plot? Build(StudyReportData data)
    {
        var complete = Complete(data);
        var pruned = Pruned(data);
        var failed = data.Trials.Where(t => t.State == TrialState.FAIL).ToArray();
        if (complete.Length == 0 && pruned.Length == 0) return null;

        var plot = new Plot();
        var maximize = data.Study.Direction == StudyDirection.MAXIMIZE;
        foreach (var (t, i) in failed.Select((t, i) => (t, i)))
        {
            var line = plot.Add.VerticalLine(t.Number, 1, TrialStyle.ColorOf(TrialState.FAIL).WithAlpha(0.5));
            line.LinePattern = LinePattern.Dashed;
            if (i == 0) line.LegendText = $"FAIL ({failed.Length})";
        }
        if (pruned.Length > 0)
        {
            var markers = plot.Add.Markers(pruned.Select(t => (double)t.Number).ToArray(),
                pruned.Select(t => t.LastIntermediate!.Value.Value).ToArray(), MarkerShape.OpenCircle, 8, TrialStyle.ColorOf(TrialState.PRUNED));
            markers.LegendText = $"PRUNED, last epoch ({pruned.Length})";
        }
        if (complete.Length > 0)
        {
            var xs = complete.Select(t => (double)t.Number).ToArray();
            var ys = complete.Select(t => t.Value!.Value).ToArray();
            var values = plot.Add.Markers(xs, ys, MarkerShape.FilledCircle, 8, TrialStyle.ColorOf(TrialState.COMPLETE));
            values.LegendText = $"COMPLETE ({complete.Length})";

            var best = new double[ys.Length];
            for (var i = 0; i < ys.Length; i++)
                best[i] = i == 0 ? ys[0] : maximize ? Math.Max(best[i - 1], ys[i]) : Math.Min(best[i - 1], ys[i]);
            // Carry the best value to the last trial number so the line spans the whole study.
            var last = data.Trials.Max(t => t.Number);
            var bestXs = xs.Append(Math.Max(last, xs[^1])).ToArray();
            var bestYs = best.Append(best[^1]).ToArray();
            var line = plot.Add.ScatterLine(bestXs, bestYs, Colors.Black);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.LegendText = "best so far";
        }
        var drawnXs = complete.Concat(pruned).Concat(failed).Select(t => (double)t.Number)
            .Append(complete.Length > 0 ? data.Trials.Max(t => t.Number) : double.NaN);
        var drawnYs = complete.Select(t => t.Value!.Value).Concat(pruned.Select(t => t.LastIntermediate!.Value.Value));
        DegenerateLimits.Apply(plot, drawnXs, drawnYs);
        plot.Title($"{data.Study.Name}: optimization history ({data.Study.Direction})");
        plot.XLabel("trial number");
        LearningCurvesPlot.IntegerTicks(plot);
        plot.YLabel(data.ObjectiveName);
        // Outside the data area: inside, no corner is safe (the worst-value corner on the late side hid the latest,
        // worst trial of a minimized study).
        plot.ShowLegend(Edge.Right);
        return plot;
    }
}
