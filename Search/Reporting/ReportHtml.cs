using System.Globalization;
using System.Net;
using System.Text;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>
/// The report page: summary, figures (relative <c>img</c> links to PNGs next to it) and the trials table. It loads
/// nothing from the network; a small inline script records on <c>body</c> how many images loaded
/// (<c>data-images-loaded</c> of <c>data-images-total</c>), so a headless browser can check the page.
/// </summary>
internal static class ReportHtml
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: 0 0 2em; } figure img { max-width: 100%; border: 1px solid #ddd; }
        figcaption, .missing { color: #555; font-size: 0.9em; } .missing { font-style: italic; }
        .state { font-weight: 600; }
        """;

    private const string Script = """
        window.addEventListener('load', function () {
          var images = Array.prototype.slice.call(document.images);
          document.body.dataset.imagesTotal = String(images.length);
          document.body.dataset.imagesLoaded = String(images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length);
        });
        """;

    public static string Render(StudyReportData data, IReadOnlyList<ReportFigure> figures)
    {
        var name = E(data.Study.Name);
        var html = new StringBuilder();
        html.Append($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Study {name}</title>
            <style>
            {Style}
            </style>
            <script>
            {Script}
            </script>
            </head>
            <body>
            <h1>Study {name}</h1>
            <p class="meta">Report generated {data.GeneratedAtUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</p>

            """);
        Summary(html, data);
        foreach (var figure in figures)
        {
            html.Append($"<h2>{E(figure.Title)}</h2>\n");
            if (figure.FileName is { } file)
                html.Append($"<figure><img src=\"{E(file)}\" alt=\"{E(figure.Title)}\"><figcaption>{E(figure.Caption)}</figcaption></figure>\n");
            else
                html.Append($"<p class=\"missing\">Not drawn: {E(figure.Missing ?? "")}.</p>\n");
        }
        TrialsTable(html, data);
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, StudyReportData data)
    {
        var choice = BestTrial.Choose(data.Trials, data.Study.Direction);
        var best = choice?.Trial;
        var counts = string.Join(", ", Enum.GetValues<TrialState>().Select(s => (s, n: data.Trials.Count(t => t.State == s)))
            .Where(p => p.n > 0).Select(p => $"{p.s} {p.n}"));
        html.Append("<h2>Summary</h2>\n<table>\n");
        Row(html, "Objective", data.Metric ?? "not named (the study has no stored configuration this tool can read: another Optuna client made it, or it was changed)");
        Row(html, "Direction", data.Study.Direction.ToString());
        Row(html, "Trials", data.Trials.Count == 0 ? "none" : $"{data.Trials.Count} ({counts})");
        Row(html, "Best trial", best is null ? "none (no COMPLETE trial)" : $"#{best.Number}: {data.ObjectiveName} {TrialStyle.Format(choice!.Value)}"
            + (choice.Basis is { } basis ? $" ({basis})" : ""));
        // Every parameter the trials have: one the best trial has no value for (an Optuna client's trial suggests only
        // those its code asks for) is shown absent, not left out as if the study did not search it.
        if (best is not null)
            foreach (var p in ParallelCoordinatesPlot.Parameters(data.Trials).Select(p => p.Name).Order(StringComparer.Ordinal))
                Row(html, $"&nbsp;&nbsp;{E(p)}", best.Params.ContainsKey(p) ? TrialStyle.Format(best.ExternalParam(p)) : Absent, encodeKey: false);
        var accuracy = ConfusionMatrixFigure.TestAccuracy(data);
        Row(html, "Retrained test accuracy", accuracy is { } a ? a.ToString("P2", CultureInfo.InvariantCulture) : "not retrained");
        if (TrialStyle.Text(data.UserAttrs, StudyAttributes.RetrainTrial) is { } retrainTrial) Row(html, "Retrained trial", "#" + retrainTrial);
        if (TrialStyle.Text(data.UserAttrs, StudyAttributes.RetrainDirectory) is { } dir) Row(html, "Retrained model", dir);
        html.Append("</table>\n");
    }

    /// <summary>
    /// What a trial's row says besides its numbers: why it failed, and which trial it repeats (selection) or retries. A
    /// repeat's row said nothing, so the report could not tell a repeat from a new configuration.
    /// </summary>
    private static string Note(TrialSnapshot t) => string.Join("; ", new[]
    {
        TrialStyle.Text(t.SystemAttrs, StudyAttributes.RepeatOf) is { } repeat ? $"repeat of trial {repeat}" : null,
        TrialStyle.Text(t.SystemAttrs, StudyAttributes.RetryOf) is { } retry ? $"retry of trial {retry}" : null,
        TrialStyle.Text(t.SystemAttrs, StudyAttributes.FailReason),
    }.Where(n => n is not null));

    private static void TrialsTable(StringBuilder html, StudyReportData data)
    {
        var names = ParallelCoordinatesPlot.Parameters(data.Trials).Select(p => p.Name).ToArray();
        html.Append($"<h2>Trials ({data.Trials.Count})</h2>\n<table>\n<thead><tr><th>#</th><th>state</th><th>{E(data.ObjectiveName)}</th>");
        foreach (var n in names) html.Append($"<th>{E(n)}</th>");
        html.Append("<th>epochs</th><th>device</th><th>started (UTC)</th><th>duration (s)</th><th>note</th></tr></thead>\n<tbody>\n");
        foreach (var t in data.Trials.OrderBy(t => t.Number))
        {
            html.Append($"<tr><td class=\"num\">{t.Number}</td><td class=\"state\" style=\"color:{TrialStyle.CssColorOf(t.State)}\">{t.State}</td>");
            html.Append($"<td class=\"num\">{TrialStyle.Format(t.Value)}</td>");
            foreach (var n in names) html.Append($"<td>{E(t.Params.ContainsKey(n) ? TrialStyle.Format(t.ExternalParam(n)) : Absent)}</td>");
            html.Append($"<td class=\"num\">{t.IntermediateValues.Count}</td>");
            html.Append($"<td>{E(TrialStyle.Text(t.SystemAttrs, StudyAttributes.Device) ?? "")}</td>");
            // Stored as local time without a zone (Optuna's way): converted, as the column says UTC (it was the local time).
            html.Append($"<td>{t.DatetimeStart?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</td>");
            html.Append($"<td class=\"num\">{(t.Duration is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : "")}</td>");
            html.Append($"<td>{E(Note(t))}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    // A parameter a trial has no value for, as the command-line tables show it (an empty cell read as an empty value).
    private const string Absent = TrialStyle.Absent;

    private static void Row(StringBuilder html, string key, string value, bool encodeKey = true) =>
        html.Append($"<tr><th>{(encodeKey ? E(key) : key)}</th><td>{E(value)}</td></tr>\n");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
