using Mnist.Search.Space;
using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>
/// Parallel coordinates: one vertical axis per parameter plus the objective, one polyline per COMPLETE trial,
/// coloured by its value (yellow = best). Each parameter axis spans its distribution's range (log-scaled for
/// log parameters; categoricals place their choices evenly); the objective axis spans the observed values.
/// ScottPlot has no such chart, so it is drawn from lines and text on a frameless plot.
/// </summary>
internal static class ParallelCoordinatesPlot
{
    public const string Title = "Parallel coordinates";
    public const string FileName = "parallel_coordinates.png";

    public static ReportFigure Draw(StudyReportData data, string directory)
    {
        var trials = Drawn(data);
        if (trials.Length == 0) return ReportFigure.Absent(Title, "no COMPLETE trial yet");
        var parameters = ReportParameters.Of(data, trials);
        if (parameters.Count == 0) return ReportFigure.Absent(Title, "the COMPLETE trials have no parameters");
        Atomic.SavePng(Build(data)!, Path.Combine(directory, FileName), WidthFor(parameters.Count), Height);
        var maximize = data.Study.Direction == StudyDirection.MAXIMIZE;
        var best = trials.Aggregate((b, t) => maximize ? (t.Value > b.Value ? t : b) : (t.Value < b.Value ? t : b));
        var bestParams = string.Join(", ", parameters.Where(p => best.Params.ContainsKey(p.Name))
            .Select(p => $"{p.Name} {ReportParameters.Formatter(data, p.Name)(best.ExternalParam(p.Name))}"));
        return ReportFigure.Drawn(Title, FileName,
            $"One line per COMPLETE trial, coloured by {data.ObjectiveName} from worst (purple) to best (yellow). Parameter axes span their search range "
            + "(log scale where the parameter is log-distributed; categorical choices evenly spaced); the objective axis spans the observed values.",
            WidthFor(parameters.Count), Height,
            $"Parallel coordinates of {TrialStyle.Count(trials.Length, "COMPLETE trial")} over {string.Join(", ", parameters.Select(p => p.Name))} and {data.ObjectiveName}; "
            + $"the best line (trial {best.Number}, {TrialStyle.Format(best.Value)}) has {bestParams}. The trials table lists every trial's values.");
    }

    public const int Height = 520;

    /// <summary>The PNG's width for <paramref name="parameterCount"/> parameter axes (plus the objective's).</summary>
    internal static int WidthFor(int parameterCount) => Math.Clamp(220 * (parameterCount + 1), 700, 1800);

    private static TrialSnapshot[] Drawn(StudyReportData data) =>
        data.Trials.Where(t => t.State == TrialState.COMPLETE && t.Value is { } v && double.IsFinite(v)).ToArray();

    /// <summary>The figure <see cref="Draw"/> saves at <see cref="WidthFor"/> × <see cref="Height"/>; null when it has nothing to draw.</summary>
    internal static Plot? Build(StudyReportData data)
    {
        var trials = Drawn(data);
        var parameters = ReportParameters.Of(data, trials);
        if (trials.Length == 0 || parameters.Count == 0) return null;

        var values = trials.Select(t => t.Value!.Value).ToArray();
        var (vMin, vMax) = (values.Min(), values.Max());
        var maximize = data.Study.Direction == StudyDirection.MAXIMIZE;
        double Goodness(double v) => vMax > vMin ? (maximize ? (v - vMin) / (vMax - vMin) : (vMax - v) / (vMax - vMin)) : 1;
        double ValuePosition(double v) => vMax > vMin ? (v - vMin) / (vMax - vMin) : 0.5;

        var plot = new Plot();
        var headers = new List<ScottPlot.Plottables.Text>();
        var objectiveTicks = new List<ScottPlot.Plottables.Text>();
        var colormap = new ScottPlot.Colormaps.Viridis();
        var objectiveX = parameters.Count;
        // Worst first, so the best lines end up on top.
        foreach (var t in trials.OrderBy(t => Goodness(t.Value!.Value)))
        {
            var points = new List<(double X, double Y)>();
            for (var i = 0; i < parameters.Count; i++)
            {
                var (name, dist) = parameters[i];
                if (t.Params.TryGetValue(name, out var internalValue)) points.Add((i, Normalise(dist, internalValue)));
                else points.Add((i, double.NaN));
            }
            points.Add((objectiveX, ValuePosition(t.Value!.Value)));
            for (var i = 1; i < points.Count; i++)
            {
                if (double.IsNaN(points[i - 1].Y) || double.IsNaN(points[i].Y)) continue;
                var line = plot.Add.Line(points[i - 1].X, points[i - 1].Y, points[i].X, points[i].Y);
                line.LineColor = colormap.GetColor(Goodness(t.Value!.Value)).WithAlpha(0.8);
                line.LineWidth = 2;
            }
        }

        for (var i = 0; i <= parameters.Count; i++)
        {
            var axis = plot.Add.Line(i, 0, i, 1);
            axis.LineColor = Colors.Black;
            axis.LineWidth = 1.5f;
            var ticks = i < parameters.Count
                ? Ticks(parameters[i].Distribution)
                : vMax > vMin ? [(0.0, TrialStyle.Format(vMin)), (1.0, TrialStyle.Format(vMax))] : [(0.5, TrialStyle.Format(vMin))];
            foreach (var (y, text) in ticks)
            {
                var label = plot.Add.Text(text, i, y);
                label.LabelAlignment = Alignment.MiddleLeft;
                label.LabelFontSize = 11;
                label.LabelOffsetX = 4;
                if (i == parameters.Count) objectiveTicks.Add(label);
            }
            var name = i < parameters.Count
                ? parameters[i].Name + (IsLog(parameters[i].Distribution) ? " (log)" : "")
                : data.ObjectiveName;
            var header = plot.Add.Text(name, i, 1.04);
            header.LabelAlignment = Alignment.LowerCenter;
            header.LabelFontSize = 12;
            header.LabelBold = true;
            headers.Add(header);
        }
        plot.HideGrid();
        plot.Axes.Frameless();
        var (left, right) = Margins(plot, parameters.Count, headers[0], headers[^1], objectiveTicks);
        plot.Axes.SetLimits(-left, parameters.Count + right, -0.08, 1.14);
        // The colours are explained in the caption: with the metric's name, the title no longer fit a narrow figure.
        plot.Title($"{data.Study.Name}: parameters of {trials.Length} COMPLETE trials");
        return plot;
    }

    /// <summary>
    /// The x range left of the first axis and right of the last, in axis spacings: at least 0.3 and 0.6, and wide enough
    /// for the first axis's header (centred on it: with a fixed 0.3 a name such as conv1_channels (log) lost its first
    /// letters at the image's edge) and for the last axis's header and tick labels.
    /// </summary>
    private static (double Left, double Right) Margins(Plot plot, int axes, ScottPlot.Plottables.Text first, ScottPlot.Plottables.Text last,
        IEnumerable<ScottPlot.Plottables.Text> lastTicks)
    {
        const double Gap = 8; // pixels between a text and the image's edge
        using var paint = Paint.NewDisposablePaint();
        double WidthOf(ScottPlot.Plottables.Text text) => text.LabelStyle.Measure(paint).Width;
        var leftPx = WidthOf(first) / 2 + Gap;
        var rightPx = Math.Max(WidthOf(last) / 2, lastTicks.Select(t => WidthOf(t) + t.LabelOffsetX).DefaultIfEmpty(0).Max()) + Gap;
        // The frameless data area's width does not depend on the limits: lay the figure out once to learn it.
        plot.RenderInMemory(WidthFor(axes), Height);
        var dataWidth = plot.RenderManager.LastRender.DataRect.Width;
        // Pixels per spacing are dataWidth / (axes + left + right): widening one margin narrows every spacing, so the
        // margins are widened until both fit (a few rounds; the texts are far narrower than the image).
        var (left, right) = (0.3, 0.6);
        for (var round = 0; round < 50; round++)
        {
            var perSpacing = dataWidth / (axes + left + right);
            (left, right) = (Math.Max(0.3, leftPx / perSpacing), Math.Max(0.6, rightPx / perSpacing));
        }
        return (left, right);
    }

    /// <summary>Position in [0, 1] of an internal value on its axis.</summary>
    internal static double Normalise(ParameterDistribution dist, double value)
    {
        var (lo, hi, log) = Range(dist);
        if (hi <= lo) return 0.5;
        var v = log ? Math.Log(Math.Max(value, double.Epsilon)) : value;
        return Math.Clamp((v - (log ? Math.Log(lo) : lo)) / ((log ? Math.Log(hi) : hi) - (log ? Math.Log(lo) : lo)), 0, 1);
    }

    private static (double Low, double High, bool Log) Range(ParameterDistribution dist) => dist switch
    {
        IntDistribution i => (i.Low, i.High, i.Log && i.Low > 0),
        FloatDistribution f => (f.Low, f.High, f.Log && f.Low > 0),
        CategoricalDistribution c => (0, c.Choices.Count - 1, false),
        _ => (0, 1, false),
    };

    private static bool IsLog(ParameterDistribution dist) => Range(dist).Log;

    private static (double Y, string Text)[] Ticks(ParameterDistribution dist)
    {
        if (dist is CategoricalDistribution c)
            return c.Choices.Select((choice, k) => (Normalise(c, k), TrialStyle.Format(choice))).ToArray();
        var (lo, hi, _) = Range(dist);
        if (hi <= lo) return [(0.5, TrialStyle.Format(dist.ToExternal(lo)))];
        // Ends plus the middle of the axis (geometric middle on a log axis).
        var mid = IsLog(dist) ? Math.Sqrt(lo * hi) : (lo + hi) / 2;
        if (dist is IntDistribution) mid = Math.Round(mid);
        var midText = TrialStyle.Format(dist.ToExternal(mid));
        return [(0, TrialStyle.Format(dist.ToExternal(lo))), (Normalise(dist, mid), midText), (1, TrialStyle.Format(dist.ToExternal(hi)))];
    }
}
