using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>
/// Device timeline (a Gantt chart): one row per device slot (<c>cuda:0/1</c> is GPU 0's second trial slot), one bar per trial from its start to its end
/// (a RUNNING trial to the report's time), coloured by state and labelled with the trial number.
/// </summary>
internal static class DeviceTimelinePlot
{
    public const string Title = "Device timeline";
    public const string FileName = "timeline.png";
    private const string UnknownDevice = "(no device)";

    public static ReportFigure Draw(StudyReportData data, string directory)
    {
        var outliers = ClockOutliers.Of(data.Trials);
        var started = data.Trials.Where(t => t.DatetimeStart is not null && !outliers.ContainsKey(t.Number)).ToArray();
        // A trial is created RUNNING before the worker that runs it writes its device: a report made in that moment
        // would draw it on an invented "(no device)" row. It is left out (the trial table still lists it); a finished
        // trial without a device (another tool's study) keeps that row, as it will never get one.
        bool NotYetOnADevice(TrialSnapshot t) => t.State == TrialState.RUNNING && DeviceOf(t) is null;
        var deviceless = started.Where(NotYetOnADevice).ToArray();
        var bars = started.Where(t => !NotYetOnADevice(t))
            .Select(t => (Trial: t, Device: DeviceOf(t) ?? UnknownDevice,
                // Trials store local time (Optuna's way): a running one ends "now" in the same local time.
                Start: t.DatetimeStart!.Value, End: t.DatetimeComplete ?? (t.State == TrialState.RUNNING ? data.GeneratedAtUtc.ToLocalTime() : t.DatetimeStart!.Value)))
            .ToArray();
        var waiting = deviceless.Length == 0 ? "" : $" Left out: {deviceless.Length} RUNNING trial{(deviceless.Length == 1 ? "" : "s")} not yet given a device.";
        // Drawn, they squeezed the study's trials into one pixel column; the table still lists them with their time.
        var notes = outliers.OrderBy(o => o.Key)
            .Select(o => $"Left out of the timeline: trial {o.Key}, which {ClockOutliers.Describe(o.Value)} (Optuna stores local time without a zone: "
                + "give every client writing to the study the same TZ).")
            .ToArray();
        if (bars.Length == 0)
            return ReportFigure.Absent(Title, deviceless.Length == 0 ? "no trial has started" : $"no trial is on a device yet ({deviceless.Length} RUNNING just started)");

        // Numbers compare as numbers, so packed GPU slots (cuda:0/0 … cuda:0/10) list in order under their GPU.
        var devices = bars.Select(b => b.Device).Distinct()
            .OrderBy(d => System.Text.RegularExpressions.Regex.Replace(d, @"\d+", m => m.Value.PadLeft(8, '0')), StringComparer.Ordinal)
            .ToArray();
        var row = devices.Select((d, i) => (d, i)).ToDictionary(p => p.d, p => (double)(devices.Length - 1 - p.i));
        var origin = bars.Min(b => b.Start);
        var span = Math.Max((bars.Max(b => b.End) - origin).TotalSeconds, 1e-3);
        (string Name, double Seconds) unit = span > 2 * 3600 ? ("hours", 3600.0) : span > 120 ? ("minutes", 60.0) : ("seconds", 1.0);
        // A trial that failed at once still gets a visible sliver.
        var minWidth = span / unit.Seconds / 400;

        var plot = new Plot();
        var legendDone = new HashSet<TrialState>();
        foreach (var b in bars)
        {
            var left = (b.Start - origin).TotalSeconds / unit.Seconds;
            var right = Math.Max((b.End - origin).TotalSeconds / unit.Seconds, left + minWidth);
            var y = row[b.Device];
            var rect = plot.Add.Rectangle(left, right, y - 0.35, y + 0.35);
            rect.FillColor = TrialStyle.ColorOf(b.Trial.State).WithAlpha(0.75);
            rect.LineColor = Colors.White;
            rect.LineWidth = 1;
            if (legendDone.Add(b.Trial.State)) rect.LegendText = $"{b.Trial.State} ({bars.Count(t => t.Trial.State == b.Trial.State)})";
            // Number only the bars wide enough to hold it; the table lists every trial anyway.
            if (right - left < span / unit.Seconds / 40) continue;
            var label = plot.Add.Text(b.Trial.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), (left + right) / 2, y);
            label.LabelAlignment = Alignment.MiddleCenter;
            label.LabelFontSize = 10;
            label.LabelFontColor = Colors.Black;
        }
        plot.Axes.Left.SetTicks(devices.Select(d => row[d]).ToArray(), devices);
        plot.Axes.SetLimitsY(-0.75, devices.Length - 0.25);
        plot.Axes.SetLimitsX(-span / unit.Seconds * 0.02, span / unit.Seconds * 1.02);
        // The bars are local times (as stored); the title says UTC, so the origin is converted (off UTC it was the local time).
        plot.Title($"{data.Study.Name}: trials per device (from {origin.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC)");
        plot.XLabel($"{unit.Name} since the first trial started");
        // Outside the data area: bars fill the whole width.
        plot.ShowLegend(Edge.Right);
        var height = Math.Max(260, 120 + 60 * devices.Length);
        Atomic.SavePng(plot, Path.Combine(directory, FileName), 1000, height);
        var perDevice = string.Join(", ", devices.Select(d => $"{d} ran {bars.Count(b => b.Device == d)}"));
        var duration = span / unit.Seconds;
        return ReportFigure.Drawn(Title, FileName,
                "One row per device; each bar is a trial from start to end, labelled with its number and coloured by state." + waiting,
                1000, height,
                $"Device timeline of {TrialStyle.Count(bars.Length, "trial")} on {devices.Length} device{(devices.Length == 1 ? "" : "s")} ({perDevice}) over "
                + $"{duration.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} {unit.Name} from {origin.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC"
                + (outliers.Count == 0 ? "" : $"; {outliers.Count} trial{(outliers.Count == 1 ? "" : "s")} with another clock's start time left out")
                + ". The trials table lists each trial's device, start and duration.")
            with { Notes = notes };
    }

    private static string? DeviceOf(TrialSnapshot trial) => TrialStyle.Text(trial.SystemAttrs, StudyAttributes.Device);
}
