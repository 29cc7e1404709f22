using Mnist.Search.Files;

namespace Mnist.Search.Reporting;

/// <summary>
/// Writes a study's report: <c>index.html</c> plus one PNG per figure, into a folder (by default
/// <c>studies/&lt;name&gt;/report/</c>). Everything is written to a sibling temporary folder first and swapped in
/// whole, so a reader sees the previous report or the new one, never a mix.
/// </summary>
/// <remarks>
/// Only a folder that is new, empty, or holds nothing but an earlier report's own files is replaced; any other
/// folder is refused with <see cref="OutputFolderException"/> and left untouched (issue 11: <c>--out</c> used to
/// delete whatever the folder held, a study's database included).
/// </remarks>
public static class StudyReportWriter
{
    public const string IndexFile = "index.html";

    /// <summary>Every file a report folder holds; a folder with anything else is not a report.</summary>
    public static readonly IReadOnlySet<string> ReportFiles = new HashSet<string>(StringComparer.Ordinal)
    {
        IndexFile, HistoryPlot.FileName, ParallelCoordinatesPlot.FileName, ImportancePlot.FileName,
        LearningCurvesPlot.ObjectiveFile, LearningCurvesPlot.LossFile, DeviceTimelinePlot.FileName, ConfusionMatrixFigure.FileName,
    };

    private static readonly Func<StudyReportData, string, ReportFigure>[] Figures =
    [
        HistoryPlot.Draw,
        ParallelCoordinatesPlot.Draw,
        ImportancePlot.Draw,
        LearningCurvesPlot.DrawObjective,
        LearningCurvesPlot.DrawLosses,
        DeviceTimelinePlot.Draw,
        ConfusionMatrixFigure.Draw,
    ];

    /// <summary>
    /// Writes the report into <paramref name="reportDirectory"/> (replacing an earlier report there) and returns the
    /// full path of <c>index.html</c>. Throws <see cref="OutputFolderException"/> when the folder holds anything else.
    /// </summary>
    public static string Write(StudyReportData data, string reportDirectory, CancellationToken ct = default)
    {
        var final = OutputFolder.Resolve(reportDirectory);
        var staging = OutputFolder.Stage(final, "report", ReportFiles);
        var work = staging.Path;
        try
        {
            // One figure at a time, so Ctrl+C / SIGTERM stops the report (exit 130, nothing written) instead of being
            // acknowledged and then ignored (exit 0).
            var figures = new List<ReportFigure>();
            foreach (var draw in Figures)
            {
                ct.ThrowIfCancellationRequested();
                figures.Add(draw(data, work));
            }
            ct.ThrowIfCancellationRequested();
            Mnist.Protocol.Files.Durable.WriteAllText(Path.Combine(work, IndexFile), ReportHtml.Render(data, figures));
            OutputFolder.Promote(staging, final);
        }
        catch
        {
            OutputFolder.Discard(staging);
            throw;
        }
        return Path.Combine(final, IndexFile);
    }
}

