namespace Mnist.Search.Reporting;

/// <summary>
/// Writes a study's report: <c>index.html</c> plus one PNG per figure, into a folder (by default
/// <c>studies/&lt;name&gt;/report/</c>). Everything is written to a sibling temporary folder first and swapped in
/// whole, so a reader sees the previous report or the new one, never a mix.
/// </summary>
/// <remarks>
/// Only a folder that is new, empty, or holds nothing but an earlier report's own files is replaced; any other
/// folder is refused with <see cref="ReportFolderException"/> and left untouched (issue 11: <c>--out</c> used to
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

    /// <summary>
    /// Writes the report into <paramref name="reportDirectory"/> (replacing an earlier report there) and returns the
    /// full path of <c>index.html</c>. Throws <see cref="ReportFolderException"/> when the folder holds anything else.
    /// </summary>
    public static string Write(StudyReportData data, string reportDirectory)
    {
        var final = Path.TrimEndingDirectorySeparator(Path.GetFullPath(reportDirectory));
        RequireReplaceable(final);
        var parent = Path.GetDirectoryName(final) ?? throw new ReportFolderException($"report folder {final}: cannot replace a file system root");
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

    private static void RequireReplaceable(string folder)
    {
        if (File.Exists(folder)) throw new ReportFolderException($"report folder {folder}: is a file, not a folder");
        if (!Directory.Exists(folder)) return;
        var foreign = Directory.EnumerateFileSystemEntries(folder)
            .FirstOrDefault(e => Directory.Exists(e) || !ReportFiles.Contains(Path.GetFileName(e)));
        if (foreign is not null)
            throw new ReportFolderException(
                $"report folder {folder}: holds '{Path.GetFileName(foreign)}', which is not part of a report; nothing was written. " +
                "Give --out a new or empty folder (or one holding only an earlier report)");
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

/// <summary>The report's folder holds other files; the command line reports it with exit code 2.</summary>
public sealed class ReportFolderException(string message) : Exception(message);
