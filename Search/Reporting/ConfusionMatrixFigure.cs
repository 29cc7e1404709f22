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
            var accuracyText = accuracy is { } a ? $" (accuracy {a.ToString("P2", CultureInfo.InvariantCulture)})" : "";
            ConfusionMatrixPlot.Save(matrix, path, $"{data.Study.Name}: retrained model on the test set" + accuracyText);
            return ReportFigure.Drawn(Title, FileName, "Rows: true digit; columns: predicted digit; cells: test images (colour: share of the row).",
                    ConfusionMatrixPlot.Width, ConfusionMatrixPlot.Height, Alt(matrix, accuracyText))
                with { Data = Table(matrix) };
        }
        if (TrialStyle.Text(data.UserAttrs, StudyAttributes.RetrainDirectory) is { } dir && File.Exists(Path.Combine(dir, FileName)))
        {
            File.Copy(Path.Combine(dir, FileName), path, overwrite: true);
            // A copied image's numbers are not in storage: its alt can only say what it is.
            return new ReportFigure(Title, FileName, $"Copied from {Path.Combine(dir, FileName)}.")
            {
                Alt = "Confusion matrix of the retrained model on the test set, as the retrain drew it; its counts are not stored with the study.",
            };
        }
        // The retrain ran (its accuracy is stored) but its worker wrote no matrix (a custom worker's metrics.json need not
        // hold one): pointing at `study retrain` retrained for nothing (audit 1207, finding 5).
        if (TestAccuracy(data) is not null)
            return ReportFigure.Absent(Title,
                $"the retrain's worker recorded no `{ConfusionMatrixKey}` in its metrics.json (optional there: see docs/worker-protocol.md); its test accuracy is in the summary");
        // `study retrain` refuses a study without a COMPLETE trial (it retrains the best one): no hint to run it then.
        return BestTrial.Of(data.Trials, data.Study.Direction) is null
            ? ReportFigure.Absent(Title, "no retrained model: the study has no COMPLETE trial to retrain yet")
            : ReportFigure.Absent(Title, $"no retrained model yet (run `study retrain {data.Study.Name}`)");
    }

    private const string ConfusionMatrixKey = "confusion_matrix";

    private static double[][] Counts(JsonArray matrix) =>
        matrix.Select(r => r!.AsArray().Select(c => c!.GetValue<double>()).ToArray()).ToArray();

    private static string Alt(JsonArray matrix, string accuracyText)
    {
        var counts = Counts(matrix);
        var n = counts.Length;
        var total = counts.Sum(r => r.Sum());
        var correct = Enumerable.Range(0, n).Sum(i => counts[i][i]);
        var errors = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, n).Where(j => j != i).Select(j => (True: i, Predicted: j, Count: counts[i][j])))
            .Where(e => e.Count > 0).OrderByDescending(e => e.Count).ThenBy(e => e.True).ThenBy(e => e.Predicted).Take(3).ToArray();
        var text = $"Confusion matrix of the retrained model on the test set{accuracyText}: {Count(correct)} of {Count(total)} images on the diagonal (predicted correctly)";
        if (errors.Length > 0)
            text += "; most frequent errors: " + string.Join(", ", errors.Select(e => $"true {e.True} predicted as {e.Predicted} ({Count(e.Count)} images)"));
        return text + ". The table under the figure lists every cell.";
    }

    private static ReportTable Table(JsonArray matrix)
    {
        var counts = Counts(matrix);
        var n = counts.Length;
        return new ReportTable("Confusion matrix: test images by true digit (rows) and predicted digit (columns)",
            ["true digit", .. Enumerable.Range(0, n).Select(j => $"{j}")],
            Enumerable.Range(0, n).Select(i => (IReadOnlyList<string>)[$"{i}", .. counts[i].Select(Count)]).ToArray());
    }

    private static string Count(double count) => count.ToString("0", CultureInfo.InvariantCulture);

    public static double? TestAccuracy(StudyReportData data) =>
        data.UserAttrs.TryGetValue(StudyAttributes.RetrainTestAccuracy, out var text)
        && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static JsonArray? Matrix(StudyReportData data)
    {
        if (!data.UserAttrs.TryGetValue(StudyAttributes.RetrainMetrics, out var json)) return null;
        try
        {
            // A matrix that is not square or holds non-numbers is not drawn rather than failing the whole report.
            if (JsonNode.Parse(json)?[ConfusionMatrixKey] is not JsonArray m || m.Count == 0) return null;
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
