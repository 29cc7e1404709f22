using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Mnist.Search.Cli;

/// <summary>
/// Writes rows as a table for people, JSON for programs, or CSV for spreadsheets. Rows are column-name →
/// value maps; values are strings, numbers, booleans, null or JSON nodes. Which formats a command takes, and their
/// spelling (lower case, as every other choice option), is <see cref="CommonOptions.Format"/>'s alone.
/// </summary>
internal static class OutputFormat
{
    /// <summary>A table's cell for a parameter a trial has no value for (<see cref="Reporting.TrialStyle.Absent"/>).</summary>
    public const string Absent = Reporting.TrialStyle.Absent;

    public static void Write(string format, IReadOnlyList<string> columns, IEnumerable<IReadOnlyDictionary<string, object?>> rows, string? title = null)
    {
        switch (format)
        {
            case "json":
                var array = new JsonArray(rows.Select(r => (JsonNode)new JsonObject(columns.Select(c => KeyValuePair.Create(c, Value(r.GetValueOrDefault(c)))))).ToArray());
                Console.Out.WriteLine(array.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                break;
            case "csv":
                Console.Out.WriteLine(string.Join(',', columns.Select(Csv)));
                foreach (var r in rows) Console.Out.WriteLine(string.Join(',', columns.Select(c => Csv(Exact(r.GetValueOrDefault(c))))));
                break;
            default:
                // Cells, columns (parameter names) and titles hold what any Optuna client stored: one line each, no
                // control characters (see ConsoleText); json and csv keep it exact.
                WriteTitle(title);
                TableLayout.Write([.. columns.Select(ConsoleText.Name)],
                    [.. rows.Select(r => (IReadOnlyList<string>)[.. columns.Select(c => ConsoleText.Line(Text(r.GetValueOrDefault(c))))])]);
                break;
        }
    }

    /// <summary>
    /// A table's title, on its own line above it: as the table's own title it was wrapped to the table's width, so a
    /// narrow table's title broke over several lines ("Best trial 5: val_accuracy =" / "0.9000").
    /// </summary>
    public static void WriteTitle(string? title)
    {
        if (title is not null) AnsiConsole.MarkupLine($"[bold]{Markup.Escape(ConsoleText.Line(title))}[/]");
    }

    /// <summary>A key/value listing (one object): a two-column table, or a JSON object.</summary>
    public static void WriteObject(string format, JsonObject obj, string? title = null)
    {
        if (format == "json")
        {
            Console.Out.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        Write(format, ["key", "value"], obj.Select(kv => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?> { ["key"] = kv.Key, ["value"] = kv.Value }), title);
    }

    // CSV is read by programs and spreadsheets: every digit of a number (the table's six were all `trials sql` gave).
    private static string Exact(object? v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        JsonValue val when val.TryGetValue<double>(out var d) && !val.TryGetValue<string>(out _) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => Text(v),
    };

    public static string Text(object? v) => v switch
    {
        null => "",
        // A BLOB (a `trials sql` column) as hex, not "System.Byte[]".
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        double d => double.IsFinite(d) ? d.ToString("G6", CultureInfo.InvariantCulture) : d.ToString(CultureInfo.InvariantCulture),
        float f => ((double)f).ToString("G6", CultureInfo.InvariantCulture),
        // As JSON writes it, and as study status and study best show it: study start's summary showed a fixed boolean as True.
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        JsonValue val when val.TryGetValue<string>(out var s) => s,
        // A fraction stored as JSON reads like one given as a double (study best printed 0.0029319299488707513 where
        // study start printed 0.00293193); whole numbers keep every digit.
        JsonValue val when val.TryGetValue<double>(out var d) && double.IsFinite(d) && d != Math.Floor(d) => Text(d),
        JsonNode n => n.ToJsonString(),
        _ => v.ToString() ?? "",
    };

    /// <summary>A cell as a JSON value: NaN and ±Infinity, no JSON numbers, as the strings "NaN", "Infinity", "-Infinity".</summary>
    public static JsonNode? Value(object? v) => v switch
    {
        null => null,
        JsonNode n => n.DeepClone(),
        double d when !double.IsFinite(d) => JsonValue.Create(d.ToString(CultureInfo.InvariantCulture)),
        double d => JsonValue.Create(d),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        DateTime t => JsonValue.Create(t.ToString("o", CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(Text(v)),
    };

    private static string Csv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
