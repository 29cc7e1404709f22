using System.Globalization;
using System.Text.Json;
using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>Shared conventions of the report's figures: one colour per trial state, attribute decoding.</summary>
internal static class TrialStyle
{
    public static Color ColorOf(TrialState state) => Color.FromHex(CssColorOf(state));

    /// <summary>The same colour as <see cref="ColorOf"/>, for the HTML table.</summary>
    public static string CssColorOf(TrialState state) => state switch
    {
        TrialState.COMPLETE => "#1f77b4",
        TrialState.PRUNED => "#ff7f0e",
        TrialState.FAIL => "#d62728",
        TrialState.RUNNING => "#2ca02c",
        _ => "#7f7f7f",
    };

    /// <summary>A JSON string attribute as plain text (other JSON as written); null when absent or blank.</summary>
    public static string? Text(IReadOnlyDictionary<string, string> attrs, string key)
    {
        if (!attrs.TryGetValue(key, out var json) || string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.String ? doc.RootElement.GetString() : doc.RootElement.GetRawText();
        }
        catch (JsonException)
        {
            // Attributes written by other tools may hold bare text; show it rather than fail the report.
            return json;
        }
    }

    /// <summary>
    /// A table's cell (the terminal's and the report's) for a parameter a trial has no value for (an Optuna client's
    /// define-by-run trial suggests only those its code asks for). JSON leaves the key out of <c>params</c>, CSV leaves
    /// the cell empty.
    /// </summary>
    public const string Absent = "—";

    public static string Format(double? value) =>
        value is not { } v ? "" : double.IsFinite(v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);

    public static string Format(object? external) => external switch
    {
        null => "null",
        double d => Math.Abs(d) is > 0 and (< 1e-3 or >= 1e5) ? d.ToString("0.###e0", CultureInfo.InvariantCulture) : d.ToString("0.#####", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => external.ToString() ?? "",
    };
}
