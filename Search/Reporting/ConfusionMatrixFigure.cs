using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>The retrained model's confusion matrix: redrawn from the stored metrics, else copied from <c>best/</c>.</summary>
internal static class ConfusionMatrixFigure
{
    public const string Title = "Retrained model: confusion matrix";
    public const string FileName = "confusion_matrix.png";

    public static ReportFigure Draw(StudyReportData data, string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (Matrix(data) is { } matrix)
        {
            var accuracy = TestAccuracy(data);
            ConfusionMatrixPlot.Save(matrix, path,
                $"{data.Study.Name}: retrained model on the test set" + (accuracy is { } a ? $" (accuracy {a.ToString("P2", CultureInfo.InvariantCulture)})" : ""));
            return ReportFigure.Drawn(Title, FileName, "Rows: true digit; columns: predicted digit; cells: test images (colour: share of the row).");
        }
        if (TrialStyle.Text(data.UserAttrs, StudyAttributes.RetrainDirectory) is { } dir && File.Exists(Path.Combine(dir, FileName)))
        {
            File.Copy(Path.Combine(dir, FileName), path, overwrite: true);
            return ReportFigure.Drawn(Title, FileName, $"Copied from {Path.Combine(dir, FileName)}.");
        }
        // `study retrain` refuses a study without a COMPLETE trial (it retrains the best one): no hint to run it then.
        return BestTrial.Of(data.Trials, data.Study.Direction) is null
            ? ReportFigure.Absent(Title, "no retrained model: the study has no COMPLETE trial to retrain yet")
            : ReportFigure.Absent(Title, $"no retrained model yet (run `study retrain {data.Study.Name}`)");
    }

    public static double? TestAccuracy(StudyReportData data) =>
        data.UserAttrs.TryGetValue(StudyAttributes.RetrainTestAccuracy, out var text)
        && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static JsonArray? Matrix(StudyReportData data)
    {
        if (!data.UserAttrs.TryGetValue(StudyAttributes.RetrainMetrics, out var json)) return null;
        try
        {
            // A matrix that is not square or holds non-numbers is not drawn rather than failing the whole report.
            if (JsonNode.Parse(json)?["confusion_matrix"] is not JsonArray m || m.Count == 0) return null;
            foreach (var row in m)
                if (row is not JsonArray r || r.Count != m.Count || r.Any(c => c is not JsonValue v || !v.TryGetValue<double>(out _))) return null;
            return m;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
