using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>
/// Trials whose start time looks written by another time zone's clock. Optuna stores local time without a zone, so a
/// notebook in another zone writes its trials hours away from the study's others: the device timeline then spanned
/// five hours with every real trial in its last pixel column (audit 1207, finding 6).
/// </summary>
/// <remarks>
/// Only what cannot happen on one clock is flagged: a trial that started more than <see cref="Gap"/> before every trial
/// numbered below it. Numbers are given at creation, and a trial created RUNNING starts then, so such a start would need
/// every lower-numbered trial to have waited (enqueued) until after it; Optuna's ask and this project's claim take
/// waiting trials first. A start hours <em>after</em> higher-numbered trials is normal and never flagged: an enqueued
/// trial claimed the next day, or retries claimed before it (Storage/ClaimOrder.cs). The previous rule split the starts
/// into groups and took number order for start order; one WAITING trial claimed 20 h late hid six real trials of the
/// earlier session (review 1207b part 2, finding 1). A trial this project's coordinator ran (it has a device) is never
/// flagged either: its clock is the study's; a daylight-saving fall-back within a study's first hour would otherwise
/// hide its trials. When in doubt a trial is drawn: a long timeline is better than a hidden trial. Flagged trials are
/// left out of the earliest start the next trials are compared with, so each of a notebook's trials is flagged, not
/// only its first.
/// </remarks>
internal static class ClockOutliers
{
    /// <summary>Time zones differ by half an hour at least; trials of one clock are rarely that far apart.</summary>
    public static readonly TimeSpan Gap = TimeSpan.FromMinutes(30);

    /// <summary>Each outlier with how many hours before (negative) the trials numbered below it it started.</summary>
    public static IReadOnlyDictionary<int, double> Of(IReadOnlyList<TrialSnapshot> trials)
    {
        var outliers = new Dictionary<int, double>();
        DateTime? earliest = null;
        foreach (var t in trials.Where(t => t.DatetimeStart is not null).OrderBy(t => t.Number))
        {
            var start = t.DatetimeStart!.Value;
            if (earliest is { } e && e - start > Gap && TrialStyle.Text(t.SystemAttrs, StudyAttributes.Device) is null)
            {
                outliers[t.Number] = (start - e).TotalHours;
                continue;
            }
            if (earliest is not { } before || start < before) earliest = start;
        }
        return outliers;
    }

    /// <summary>What the report says of an outlier: where it started relative to the trials numbered below it.</summary>
    public static string Describe(double hours) =>
        $"started {Math.Abs(hours).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} hours before every trial numbered below it, "
        + "though created after them: its time looks like another time zone's clock";
}
