using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>
/// Trials whose start time looks written by another time zone's clock. Optuna stores local time without a zone, so a
/// notebook in another zone writes its trials hours away from the study's others: the device timeline then spanned
/// five hours with every real trial in its last pixel column (audit 1207, finding 6).
/// </summary>
/// <remarks>
/// The starts are split where two consecutive ones lie more than <see cref="Gap"/> apart; the group with the most trials
/// is the study's clock. A trial of another group is an outlier only when its place in time contradicts its number:
/// numbers are given in creation order, so a trial that starts hours before trials numbered below it, or hours after
/// trials numbered above it, was not timed by the same clock. A study resumed the next day (later trials, higher
/// numbers) is therefore left whole.
/// </remarks>
internal static class ClockOutliers
{
    /// <summary>Time zones differ by half an hour at least; trials of one clock are rarely that far apart.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromMinutes(30);

    /// <summary>Each outlier with how many hours before (negative) or after the study's other trials it started.</summary>
    public static IReadOnlyDictionary<int, double> Of(IReadOnlyList<TrialSnapshot> trials)
    {
        var started = trials.Where(t => t.DatetimeStart is not null).OrderBy(t => t.DatetimeStart).ThenBy(t => t.Number).ToArray();
        var groups = new List<List<TrialSnapshot>>();
        foreach (var t in started)
        {
            if (groups.Count == 0 || t.DatetimeStart!.Value - groups[^1][^1].DatetimeStart!.Value > Gap) groups.Add([]);
            groups[^1].Add(t);
        }
        var outliers = new Dictionary<int, double>();
        if (groups.Count < 2) return outliers;
        var main = groups.Select((g, i) => (g, i)).MaxBy(p => (p.g.Count, p.i)).g;
        var (first, last) = (main[0].DatetimeStart!.Value, main[^1].DatetimeStart!.Value);
        var (lowest, highest) = (main.Min(t => t.Number), main.Max(t => t.Number));
        foreach (var t in groups.Where(g => g != main).SelectMany(g => g))
        {
            var start = t.DatetimeStart!.Value;
            if (start < first && t.Number > lowest) outliers[t.Number] = (start - first).TotalHours;
            else if (start > last && t.Number < highest) outliers[t.Number] = (start - last).TotalHours;
        }
        return outliers;
    }

    /// <summary>What the report says of an outlier: where it started relative to the others.</summary>
    public static string Describe(double hours) =>
        $"started {Math.Abs(hours).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} hours {(hours < 0 ? "before" : "after")} "
        + "the study's other trials, out of step with its number: its time looks like another time zone's clock";
}
