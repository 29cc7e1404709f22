using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnist.Search.Retraining;

/// <summary>
/// Reads the <c>metrics.json</c> a retrain worker wrote (docs/worker-protocol.md): an object whose
/// <c>confusion_matrix</c>, when there is one, is a square array of counts with a row per class. The file comes from
/// another program (<c>worker.command</c>) as often as from Trials, so nothing in it is trusted: a truncated file, an
/// array, or a matrix of strings ended the retrain in a .NET stack trace, after the model was made.
/// </summary>
internal static class RetrainMetrics
{
    /// <summary>Classes of every dataset here (MNIST's digits, Fashion-MNIST's garments): the matrix's size when the file names none.</summary>
    private const int DatasetClasses = 10;

    /// <summary>
    /// The object in <paramref name="file"/> (empty when the worker wrote none), or a <see cref="RetrainException"/> naming
    /// the file as <paramref name="path"/> (where it is kept once the retrain failed) and the JSON path of what is wrong.
    /// </summary>
    public static JsonObject Read(string file, string path)
    {
        if (!File.Exists(file)) return new JsonObject();
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(file)); }
        catch (JsonException e)
        {
            throw Bad(path, $"not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {e.BytePositionInLine ?? 0}");
        }
        if (root is not JsonObject metrics) throw Bad(path, $"$: expected an object, got {Kind(root)}");
        if (metrics["confusion_matrix"] is { } matrix) CheckMatrix(path, matrix, Classes(path, metrics));
        return metrics;
    }

    private static int Classes(string path, JsonObject metrics) => metrics["class_names"] switch
    {
        null => DatasetClasses,
        JsonArray names when names.All(n => n is JsonValue v && v.TryGetValue<string>(out _)) => names.Count,
        var other => throw Bad(path, $"$.class_names: expected an array of names, got {Kind(other)}"),
    };

    private static void CheckMatrix(string path, JsonNode matrix, int classes)
    {
        var expected = $"expected a {classes}×{classes} array of counts (rows = true class, columns = predicted)";
        if (matrix is not JsonArray rows) throw Bad(path, $"$.confusion_matrix: {expected}, got {Kind(matrix)}");
        if (rows.Count != classes) throw Bad(path, $"$.confusion_matrix: {expected}, got {rows.Count} rows");
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is not JsonArray row) throw Bad(path, $"$.confusion_matrix[{i}]: {expected}, got {Kind(rows[i])}");
            if (row.Count != classes) throw Bad(path, $"$.confusion_matrix[{i}]: {expected}, got a row of {row.Count}");
            for (var j = 0; j < row.Count; j++)
                if (row[j] is not JsonValue cell || !cell.TryGetValue<double>(out var count) || !double.IsFinite(count) || count < 0)
                    throw Bad(path, $"$.confusion_matrix[{i}][{j}]: {expected}, got {Kind(row[j])}");
        }
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray a => $"an array of {a.Count.ToString(CultureInfo.InvariantCulture)}",
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToJsonString() is { Length: > 40 } text ? text[..40] + "…" : node.ToJsonString(),
    };

    private static RetrainException Bad(string path, string what) => new($"{path}: {what}");
}
