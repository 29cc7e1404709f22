using System.Globalization;
using System.Text.Json;
using Mnist.Search.Vocabulary;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>Shared conventions of the report's figures: one colour per trial state, attribute decoding.</summary>
internal static class TrialStyle
{
    public static Color ColorOf(TrialState state) => Color.FromHex(CssColorOf(state));

    /// <summary>The same colour as <see cref="ColorOf"/> (the figures' palette), as CSS.</summary>
    public static string CssColorOf(TrialState state) => state switch
    {
        TrialState.COMPLETE => "#1f77b4",
        TrialState.PRUNED => "#ff7f0e",
        TrialState.FAIL => "#d62728",
        TrialState.RUNNING => "#2ca02c",
        _ => "#7f7f7f",
    };

    /// <summary>
    /// A state's colour as text on white: the palette's hue, dark enough for WCAG AA's 4.5:1 (the palette's orange gave
    /// 2.53:1, green 3.40:1, grey 4.0:1; audit 1207, finding 4b). Blue (4.82) and red (5.02) pass as they are.
    /// </summary>
    public static string CssTextColorOf(TrialState state) => state switch
    {
        TrialState.COMPLETE => "#1f77b4",
        TrialState.PRUNED => "#a84f00",
        TrialState.FAIL => "#d62728",
        TrialState.RUNNING => "#1a7a1a",
        _ => "#595959",
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

    /// <summary>"1 trial", "2 trials": the alt texts are generated, and "1 trials" was read out (review 1207b part 2, finding 4).</summary>
    public static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    public static string Format(double? value) =>
        value is not { } v ? "" : double.IsFinite(v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);

    public static string Format(object? external) => Format(external, scientific: false);

    /// <summary>Whether <see cref="Format(object?)"/> writes <paramref name="value"/> with an exponent.</summary>
    public static bool NeedsExponent(double value) => Math.Abs(value) is > 0 and (< 1e-3 or >= 1e5);

    /// <summary>A parameter's value; <paramref name="scientific"/>: with an exponent even where it is not needed (a column's other values need one).</summary>
    public static string Format(object? external, bool scientific) => external switch
    {
        null => "null",
        double d => (scientific && d != 0) || NeedsExponent(d) ? d.ToString("0.###e0", CultureInfo.InvariantCulture) : d.ToString("0.#####", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => external.ToString() ?? "",
    };
}
