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
/// <remarks>
/// Read with a screen reader and printed as well as on screen (audit 1207, finding 4): every figure has a text
/// alternative and its numbers in a table, tables have captions and header scopes, wide tables scroll on their own
/// (keyboard-focusable), and print is landscape with small table text, so the trials table's last columns were no
/// longer cut off the page.
/// </remarks>
internal static class ReportHtml
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; min-width: 30em; }
        caption { caption-side: top; text-align: left; color: #555; font-size: 0.9em; padding: 0.2em 0; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: 0 0 1em; } figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
        figcaption, .missing, .note { color: #555; font-size: 0.9em; } .missing { font-style: italic; }
        .warning { color: #8a4b00; font-size: 0.9em; font-weight: 600; }
        .state { font-weight: 600; }
        .scroll { overflow-x: auto; max-width: 100%; } .scroll:focus { outline: 2px solid #1f77b4; }
        details { margin: 0 0 2em; } summary { cursor: pointer; color: #1f5f8f; }
        .sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
        @media print {
          @page { size: landscape; margin: 1cm; }
          body { max-width: none; margin: 0; padding: 0; }
          .scroll { overflow: visible; }
          table { font-size: 7pt; }
          th, td { padding: 0.1em 0.3em; overflow-wrap: anywhere; }
          figure, tr { break-inside: avoid; }
          summary { color: #222; }
        }
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
            <main>
            <h1>Study {name}</h1>
            <p class="meta">Report generated {data.GeneratedAtUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</p>

            """);
        var tables = 0;
        Summary(html, data, ref tables);
        foreach (var figure in figures)
        {
            html.Append($"<h2>{E(figure.Title)}</h2>\n");
            if (figure.FileName is { } file)
            {
                var size = figure.Size is var (w, h) ? $" width=\"{w}\" height=\"{h}\"" : "";
                html.Append($"<figure><img src=\"{E(file)}\" alt=\"{E(figure.Alt)}\"{size}><figcaption>{E(figure.Caption)}</figcaption></figure>\n");
            }
            else
                html.Append($"<p class=\"missing\">Not drawn: {E(figure.Missing ?? "")}.</p>\n");
            foreach (var note in figure.Notes) html.Append($"<p class=\"note\">{E(note)}</p>\n");
            foreach (var warning in figure.Warnings) html.Append($"<p class=\"warning\">{E(warning)}</p>\n");
            if (figure.Data is { } numbers) DataTable(html, numbers, ref tables);
        }
        TrialsTable(html, data, ref tables);
        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, StudyReportData data, ref int tables)
    {
        var choice = BestTrial.Choose(data.Trials, data.Study.Direction);
        var best = choice?.Trial;
        var counts = string.Join(", ", Enum.GetValues<TrialState>().Select(s => (s, n: data.Trials.Count(t => t.State == s)))
            .Where(p => p.n > 0).Select(p => $"{p.s} {p.n}"));
        html.Append("<h2>Summary</h2>\n");
        OpenTable(html, $"Study {data.Study.Name}: objective, trials, best trial and retrained model", ref tables, wide: false);
        html.Append("<tbody>\n");
        Row(html, "Objective", data.Metric ?? "not named (the study has no stored configuration this tool can read: another Optuna client made it, or it was changed)");
        Row(html, "Direction", data.Study.Direction.ToString());
        Row(html, "Trials", data.Trials.Count == 0 ? "none" : $"{data.Trials.Count} ({counts})");
        Row(html, "Best trial", best is null ? "none (no COMPLETE trial)" : $"#{best.Number}: {data.ObjectiveName} {TrialStyle.Format(choice!.Value)}"
            + (choice.Basis is { } basis ? $" ({basis})" : ""));
        var accuracy = ConfusionMatrixFigure.TestAccuracy(data);
        Row(html, "Retrained test accuracy", accuracy is { } a ? a.ToString("P2", CultureInfo.InvariantCulture) : "not retrained");
        if (TrialStyle.Text(data.UserAttrs, StudyAttributes.RetrainTrial) is { } retrainTrial) Row(html, "Retrained trial", "#" + retrainTrial);
        if (TrialStyle.Text(data.UserAttrs, StudyAttributes.RetrainDirectory) is { } dir) Row(html, "Retrained model", dir);
        html.Append("</tbody>\n</table>\n");
        if (best is null) return;
        // The best trial's parameters as a table of their own, named by its caption: as rows of the summary indented by
        // spaces, a screen reader could not tell they belonged to the best trial (audit 1207, finding 4c). Every parameter
        // the trials have: one the best trial has no value for (an Optuna client's trial suggests only those its code
        // asks for) is shown as not used, not left out as if the study did not search it.
        OpenTable(html, $"Parameters of the best trial (#{best.Number})", ref tables, wide: false);
        html.Append("<thead><tr><th scope=\"col\">parameter</th><th scope=\"col\">value</th></tr></thead>\n<tbody>\n");
        foreach (var (p, _) in ReportParameters.Of(data))
        {
            html.Append($"<tr><th scope=\"row\">{E(p)}</th>");
            html.Append(best.Params.ContainsKey(p) ? $"<td>{E(ReportParameters.Formatter(data, p)(best.ExternalParam(p)))}</td>" : NotUsedCell);
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    /// <summary>
    /// What a trial's row says besides its numbers: why it failed, and which trial it repeats (selection) or retries. A
    /// repeat's row said nothing, so the report could not tell a repeat from a new configuration.
    /// </summary>
    private static string Note(TrialSnapshot t, IReadOnlyDictionary<int, double> clockOutliers) => string.Join("; ", new[]
    {
        TrialStyle.Text(t.SystemAttrs, StudyAttributes.RepeatOf) is { } repeat ? $"repeat of trial {repeat}" : null,
        TrialStyle.Text(t.SystemAttrs, StudyAttributes.RetryOf) is { } retry ? $"retry of trial {retry}" : null,
        TrialStyle.Text(t.SystemAttrs, StudyAttributes.FailReason),
        clockOutliers.TryGetValue(t.Number, out var hours) ? ClockOutliers.Describe(hours) + " (left out of the device timeline)" : null,
    }.Where(n => n is not null));

    private static void TrialsTable(StringBuilder html, StudyReportData data, ref int tables)
    {
        var names = ReportParameters.Of(data).Select(p => p.Name).ToArray();
        var formats = names.Select(n => ReportParameters.Formatter(data, n)).ToArray();
        var outliers = ClockOutliers.Of(data.Trials);
        html.Append($"<h2>Trials ({data.Trials.Count})</h2>\n");
        OpenTable(html, $"Every trial by number: state, {data.ObjectiveName}, parameters (— where a trial does not use one), epochs reported, device, start, duration and note",
            ref tables, wide: true);
        html.Append($"<thead><tr><th scope=\"col\">#</th><th scope=\"col\">state</th><th scope=\"col\">{E(data.ObjectiveName)}</th>");
        foreach (var n in names) html.Append($"<th scope=\"col\">{E(n)}</th>");
        html.Append("<th scope=\"col\">epochs</th><th scope=\"col\">device</th><th scope=\"col\">started (UTC)</th><th scope=\"col\">duration (s)</th><th scope=\"col\">note</th></tr></thead>\n<tbody>\n");
        foreach (var t in data.Trials.OrderBy(t => t.Number))
        {
            html.Append($"<tr><td class=\"num\">{t.Number}</td><td class=\"state\" style=\"color:{TrialStyle.CssTextColorOf(t.State)}\">{t.State}</td>");
            html.Append($"<td class=\"num\">{TrialStyle.Format(t.Value)}</td>");
            for (var i = 0; i < names.Length; i++)
                html.Append(t.Params.ContainsKey(names[i]) ? $"<td>{E(formats[i](t.ExternalParam(names[i])))}</td>" : NotUsedCell);
            html.Append($"<td class=\"num\">{t.IntermediateValues.Count}</td>");
            html.Append($"<td>{E(TrialStyle.Text(t.SystemAttrs, StudyAttributes.Device) ?? "")}</td>");
            // Stored as local time without a zone (Optuna's way): converted, as the column says UTC (it was the local time).
            html.Append($"<td>{t.DatetimeStart?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</td>");
            html.Append($"<td class=\"num\">{(t.Duration is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : "")}</td>");
            html.Append($"<td>{E(Note(t, outliers))}</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
    }

    /// <summary>A figure's numbers: shown, or (long per-trial data) in a closed <c>details</c>.</summary>
    private static void DataTable(StringBuilder html, ReportTable table, ref int tables)
    {
        if (table.Collapsed) html.Append($"<details><summary>Data: {E(table.Caption)}</summary>\n");
        OpenTable(html, table.Caption, ref tables, wide: true);
        html.Append("<thead><tr>");
        foreach (var c in table.Columns) html.Append($"<th scope=\"col\">{E(c)}</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            html.Append($"<tr><th scope=\"row\">{E(row[0])}</th>");
            foreach (var cell in row.Skip(1)) html.Append(IsNumber(cell) ? $"<td class=\"num\">{E(cell)}</td>" : $"<td>{E(cell)}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>\n</div>\n");
        if (table.Collapsed) html.Append("</details>\n");
    }

    /// <summary>
    /// Opens a table with its caption. A wide one sits in a region of its own that scrolls sideways and takes the
    /// keyboard focus (so it scrolls with the arrow keys), named by the caption: the trials table, 1463 CSS px wide,
    /// scrolled the whole page even at 1280 px.
    /// </summary>
    private static void OpenTable(StringBuilder html, string caption, ref int tables, bool wide)
    {
        var id = $"table-{++tables}";
        if (wide) html.Append($"<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-labelledby=\"{id}\">\n");
        html.Append($"<table>\n<caption id=\"{id}\">{E(caption)}</caption>\n");
    }

    private static bool IsNumber(string cell) =>
        double.TryParse(cell.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    // A parameter a trial has no value for, as the command-line tables show it (an empty cell read as an empty value);
    // a screen reader hears "not used", not "em dash".
    private static readonly string NotUsedCell = $"<td><span aria-hidden=\"true\">{TrialStyle.Absent}</span><span class=\"sr-only\">not used</span></td>";

    private static void Row(StringBuilder html, string key, string value) =>
        html.Append($"<tr><th scope=\"row\">{E(key)}</th><td>{E(value)}</td></tr>\n");

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
