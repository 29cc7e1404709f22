namespace Mnist.Search.Reporting;

/// <summary>
/// Writes a study's report: <c>index.html</c> plus one PNG per figure, into a folder (by default
/// <c>studies/&lt;name&gt;/report/</c>). Everything is written to a sibling temporary folder first and swapped in
/// whole, so a reader sees the previous report or the new one, never a mix.
/// </summary>
public static class StudyReportWriter
{
    public const string IndexFile = "index.html";

    /// <summary>Writes the report into <paramref name="reportDirectory"/> (replacing it) and returns the full path of <c>index.html</c>.</summary>
    public static string Write(StudyReportData data, string reportDirectory)
    {
        var final = Path.GetFullPath(reportDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $".{Path.GetFileName(final)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            IReadOnlyList<ReportFigure> figures =
            [
                HistoryPlot.Draw(data, work),
                ParallelCoordinatesPlot.Draw(data, work),
                ImportancePlot.Draw(data, work),
                LearningCurvesPlot.DrawObjective(data, work),
                LearningCurvesPlot.DrawLosses(data, work),
                DeviceTimelinePlot.Draw(data, work),
                ConfusionMatrixFigure.Draw(data, work),
            ];
            Atomic.WriteAllText(Path.Combine(work, IndexFile), ReportHtml.Render(data, figures));
            Promote(work, final);
        }
        catch
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            throw;
        }
        return Path.Combine(final, IndexFile);
    }

    // The old report is moved aside before the new one moves in, so the report folder is always complete.
    private static void Promote(string work, string final)
    {
        var old = Path.Combine(Path.GetDirectoryName(final)!, $".{Path.GetFileName(final)}.old-{Environment.ProcessId}-{Guid.NewGuid():N}");
        if (Directory.Exists(final)) Directory.Move(final, old);
        Directory.Move(work, final);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }
}
