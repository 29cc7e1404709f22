using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>
/// Per-trial learning curves, coloured by final state so pruned and failed trials stand out: the objective
/// reported after each epoch (the values the pruner saw), and the train/validation losses of the epoch events.
/// </summary>
internal static class LearningCurvesPlot
{
    public const string ObjectiveTitle = "Learning curves (objective per epoch)";
    public const string ObjectiveFile = "learning_curves.png";
    public const string LossTitle = "Learning curves (losses per epoch)";
    public const string LossFile = "loss_curves.png";
    public const int Width = 900;
    public const int Height = 500;

    private static readonly TrialState[] DrawOrder = [TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING, TrialState.PRUNED, TrialState.FAIL];

    public static ReportFigure DrawObjective(StudyReportData data, string directory)
    {
        var curves = ObjectiveCurves(data);
        if (curves.Length == 0) return ReportFigure.Absent(ObjectiveTitle, "no trial reported an epoch");
        Atomic.SavePng(BuildObjective(data, curves), Path.Combine(directory, ObjectiveFile), Width, Height);
        var last = curves.Select(c => (c.Trial, Value: c.Points[^1].Y)).OrderBy(c => c.Value).ToArray();
        return ReportFigure.Drawn(ObjectiveTitle, ObjectiveFile,
                "One line per trial, coloured by its final state. " + WithoutEpochs(data, curves.Select(c => c.Trial)),
                Width, Height,
                $"{data.ObjectiveName} after each epoch, one line per trial: {TrialStyle.Count(curves.Length, "trial")} ({Counts(curves.Select(c => c.Trial))}), "
                + $"up to epoch {Epochs(curves)}; the last reported values range from {TrialStyle.Format(last[0].Value)} (trial {last[0].Trial.Number}) "
                + $"to {TrialStyle.Format(last[^1].Value)} (trial {last[^1].Trial.Number}). The table under the figure lists every value.")
            with
            {
                Data = PerEpoch($"{data.ObjectiveName} after each epoch, per trial", curves,
                    epoch => c => c.Points.Where(p => p.X == epoch).Select(p => TrialStyle.Format(p.Y)).FirstOrDefault() ?? ""),
            };
    }

    private static string Counts(IEnumerable<TrialSnapshot> trials) =>
        string.Join(", ", trials.GroupBy(t => t.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"));

    private static int Epochs(IEnumerable<(TrialSnapshot Trial, (double X, double Y)[] Points)> curves) =>
        (int)curves.SelectMany(c => c.Points).Max(p => p.X);

    /// <summary>One row per trial, one column per epoch, so a screen reader can read what the lines show.</summary>
    private static ReportTable PerEpoch(string caption, IReadOnlyList<(TrialSnapshot Trial, (double X, double Y)[] Points)> curves,
        Func<int, Func<(TrialSnapshot Trial, (double X, double Y)[] Points), string>> cell)
    {
        var epochs = curves.SelectMany(c => c.Points.Select(p => p.X)).Where(x => x == Math.Floor(x)).Select(x => (int)x).Distinct().Order().ToArray();
        return new ReportTable(caption,
            ["trial", "state", .. epochs.Select(e => $"epoch {e}")],
            curves.OrderBy(c => c.Trial.Number)
                .Select(c => (IReadOnlyList<string>)[c.Trial.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), c.Trial.State.ToString(),
                    .. epochs.Select(e => cell(e)(c))])
                .ToArray());
    }

    /// <summary>The figure <see cref="DrawObjective"/> saves (tests render it to find where its points are); null when no trial reported an epoch.</summary>
    internal static Plot? BuildObjective(StudyReportData data) => ObjectiveCurves(data) is { Length: > 0 } curves ? BuildObjective(data, curves) : null;

    private static Plot BuildObjective(StudyReportData data, (TrialSnapshot Trial, (double X, double Y)[] Points)[] curves)
    {
        var plot = new Plot();
        DrawCurves(plot, curves, LinePattern.Solid, "");
        DegenerateLimits.Apply(plot, curves.SelectMany(c => c.Points.Select(p => p.X)), curves.SelectMany(c => c.Points.Select(p => p.Y)));
        plot.Title($"{data.Study.Name}: {data.ObjectiveName} after each epoch");
        plot.XLabel("epoch");
        plot.YLabel($"{data.ObjectiveName} (intermediate value)");
        IntegerTicks(plot);
        // Outside the data area: a trial that ends badly ends in the worst-value corner on the late side, where the
        // legend used to be.
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    public static ReportFigure DrawLosses(StudyReportData data, string directory)
    {
        var (train, val) = LossCurves(data);
        if (train.Count == 0 && val.Count == 0) return ReportFigure.Absent(LossTitle, "no trial recorded epoch losses");
        Atomic.SavePng(BuildLosses(train, val, data), Path.Combine(directory, LossFile), Width, Height);
        // One row per trial that has either loss: "train / val" per epoch. Looked up by trial number and epoch: scanning
        // both series per cell took time quadratic in the trials (review 1207b part 2, finding 2).
        var trainOf = train.ToDictionary(c => c.Item1.Number, c => c.Item2);
        var valOf = val.ToDictionary(c => c.Item1.Number, c => c.Item2);
        var trials = train.Concat(val).Select(c => c.Item1).DistinctBy(t => t.Number).ToArray();
        var curves = trials.Select(t => (Trial: t, Points: trainOf.GetValueOrDefault(t.Number, []).Concat(valOf.GetValueOrDefault(t.Number, [])).ToArray())).ToArray();
        var trainAt = ByEpoch(train);
        var valAt = ByEpoch(val);
        string Cell(TrialSnapshot t, int epoch) =>
            (trainAt.GetValueOrDefault((t.Number, epoch)), valAt.GetValueOrDefault((t.Number, epoch))) switch
            {
                // A pruned trial's epochs after it stopped: an empty cell, not "– / –" in every one of them.
                (null, null) => "",
                var (tr, vl) => $"{tr ?? "–"} / {vl ?? "–"}",
            };
        var lastVal = val.Select(c => (Trial: c.Item1, Value: c.Item2[^1].Item2)).OrderBy(c => c.Value).ToArray();
        return ReportFigure.Drawn(LossTitle, LossFile,
                "Solid: training loss; dashed: validation loss; coloured by the trial's final state. "
                + WithoutEpochs(data, train.Select(c => c.Item1).Concat(val.Select(c => c.Item1))),
                Width, Height,
                $"Training and validation loss after each epoch, two lines per trial: {TrialStyle.Count(trials.Length, "trial")} ({Counts(trials)}), up to epoch {Epochs(curves)}"
                + (lastVal.Length == 0 ? "" : $"; the last validation losses range from {TrialStyle.Format(lastVal[0].Value)} (trial {lastVal[0].Trial.Number}) "
                    + $"to {TrialStyle.Format(lastVal[^1].Value)} (trial {lastVal[^1].Trial.Number})")
                + ". The table under the figure lists every value.")
            with { Data = PerEpoch("Training / validation loss after each epoch, per trial", curves, epoch => c => Cell(c.Trial, epoch)) };
    }

    /// <summary>Each series' first value at each (trial number, whole epoch), formatted.</summary>
    private static Dictionary<(int Trial, int Epoch), string> ByEpoch(List<(TrialSnapshot, (double, double)[])> series)
    {
        var at = new Dictionary<(int, int), string>();
        foreach (var (trial, points) in series)
            foreach (var (epoch, value) in points)
                if (epoch == Math.Floor(epoch)) at.TryAdd((trial.Number, (int)epoch), TrialStyle.Format(value));
        return at;
    }

    /// <summary>The figure <see cref="DrawLosses"/> saves; null when no trial recorded epoch losses.</summary>
    internal static Plot? BuildLosses(StudyReportData data) =>
        LossCurves(data) is var (train, val) && (train.Count > 0 || val.Count > 0) ? BuildLosses(train, val, data) : null;

    // The curves are read once per figure: each trial's epoch events are parsed from its attributes.
    private static Plot BuildLosses(List<(TrialSnapshot, (double, double)[])> train, List<(TrialSnapshot, (double, double)[])> val, StudyReportData data)
    {
        var plot = new Plot();
        DrawCurves(plot, train, LinePattern.Solid, "train loss, ");
        DrawCurves(plot, val, LinePattern.Dashed, "val loss, ");
        var points = train.Concat(val).SelectMany(c => c.Item2).ToArray();
        DegenerateLimits.Apply(plot, points.Select(p => p.Item1), points.Select(p => p.Item2));
        plot.Title($"{data.Study.Name}: losses after each epoch");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        IntegerTicks(plot);
        // Outside the data area: a diverging trial's losses end in the upper right corner.
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static (TrialSnapshot Trial, (double X, double Y)[] Points)[] ObjectiveCurves(StudyReportData data) =>
        data.Trials
            .Select(t => (Trial: t, Points: t.IntermediateValues.Where(kv => double.IsFinite(kv.Value)).OrderBy(kv => kv.Key)
                .Select(kv => ((double)kv.Key, kv.Value)).ToArray()))
            .Where(c => c.Points.Length > 0).ToArray();

    private static (List<(TrialSnapshot, (double, double)[])> Train, List<(TrialSnapshot, (double, double)[])> Val) LossCurves(StudyReportData data)
    {
        var train = new List<(TrialSnapshot, (double, double)[])>();
        var val = new List<(TrialSnapshot, (double, double)[])>();
        foreach (var t in data.Trials)
        {
            var events = Epochs(t);
            if (Series(events, EventFields.TrainLoss) is { Length: > 0 } tr) train.Add((t, tr));
            if (Series(events, EventFields.ValLoss) is { Length: > 0 } vl) val.Add((t, vl));
        }
        return (train, val);
    }

    private static void DrawCurves(Plot plot, IReadOnlyList<(TrialSnapshot Trial, (double X, double Y)[] Points)> curves, LinePattern pattern, string legendPrefix)
    {
        // Failed and pruned trials are drawn last so the many complete ones do not hide them.
        foreach (var state in DrawOrder)
        {
            var ofState = curves.Where(c => c.Trial.State == state).ToArray();
            for (var i = 0; i < ofState.Length; i++)
            {
                var line = plot.Add.Scatter(ofState[i].Points.Select(p => p.X).ToArray(), ofState[i].Points.Select(p => p.Y).ToArray(),
                    TrialStyle.ColorOf(state).WithAlpha(state == TrialState.COMPLETE ? 0.6 : 0.9));
                line.LinePattern = pattern;
                line.LineWidth = 1.5f;
                line.MarkerSize = 6;
                if (i == 0) line.LegendText = $"{legendPrefix}{state} ({ofState.Length})";
            }
        }
    }

    internal static void IntegerTicks(Plot plot) =>
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    private static string WithoutEpochs(StudyReportData data, IEnumerable<TrialSnapshot> drawn)
    {
        var shown = drawn.Select(t => t.Number).ToHashSet();
        var missing = data.Trials.Where(t => !shown.Contains(t.Number)).GroupBy(t => t.State).OrderBy(g => g.Key)
            .Select(g => $"{g.Count()} {g.Key}").ToArray();
        return missing.Length == 0 ? "" : $"Trials without any epoch (no line): {string.Join(", ", missing)}.";
    }

    private static JsonArray Epochs(TrialSnapshot t)
    {
        if (!t.UserAttrs.TryGetValue(StudyAttributes.Epochs, out var json)) return [];
        try
        {
            return JsonNode.Parse(json) as JsonArray ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    private static (double, double)[] Series(JsonArray events, string field)
    {
        var points = new List<(double, double)>();
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] is not JsonObject e) continue;
            var epoch = e[EventFields.EpochNumber] is JsonValue ev && ev.TryGetValue<double>(out var n) ? n : i + 1;
            if (e[field] is JsonValue fv && fv.TryGetValue<double>(out var v) && double.IsFinite(v)) points.Add((epoch, v));
        }
        return points.ToArray();
    }
}
