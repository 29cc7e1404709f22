using System.Text.Json;
using System.Text.Json.Serialization;
using Mnist.Protocol.Files;

namespace Mnist.Trials.Evaluation;

/// <summary>
/// Classification quality derived from a K×K confusion matrix (rows = true class, columns = predicted class).
/// </summary>
/// <remarks>
/// Zero divisions follow sklearn's <c>zero_division=0</c>: a ratio whose denominator is 0 is reported as 0.
/// Macro F1 is the unweighted mean of the per-class F1 over all K classes, including classes without support
/// (sklearn does the same when <c>labels=range(K)</c> is passed). <see cref="Loss"/> is not derivable from the
/// matrix; the evaluator sets it with <c>with { Loss = … }</c>.
/// </remarks>
internal sealed record ClassificationMetrics
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    [JsonPropertyName("accuracy")]
    public required double Accuracy { get; init; }

    /// <summary>Mean loss over the evaluated samples, when the caller knows it.</summary>
    [JsonPropertyName("loss")]
    public double? Loss { get; init; }

    [JsonPropertyName("per_class")]
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }

    [JsonPropertyName("macro_f1")]
    public required double MacroF1 { get; init; }

    [JsonPropertyName("cohen_kappa")]
    public required double CohenKappa { get; init; }

    /// <summary>Counts, <c>ConfusionMatrix[true][predicted]</c>.</summary>
    [JsonPropertyName("confusion_matrix")]
    public required IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix { get; init; }

    /// <summary>Total number of samples counted in the matrix.</summary>
    [JsonIgnore]
    public long Total => ConfusionMatrix.Sum(row => row.Sum());

    /// <summary>Computes every metric from a square confusion matrix of non-negative counts.</summary>
    /// <exception cref="ArgumentException">The matrix is empty, not square, or holds a negative count.</exception>
    public static ClassificationMetrics FromConfusionMatrix(long[,] confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        var k = confusion.GetLength(0);
        if (k == 0 || confusion.GetLength(1) != k)
        {
            throw new ArgumentException(
                $"confusion matrix must be square and non-empty, got {confusion.GetLength(0)}×{confusion.GetLength(1)}",
                nameof(confusion));
        }

        var rowSums = new long[k];
        var colSums = new long[k];
        long total = 0, diagonal = 0;
        for (var t = 0; t < k; t++)
        {
            for (var p = 0; p < k; p++)
            {
                var c = confusion[t, p];
                if (c < 0)
                {
                    throw new ArgumentException($"confusion matrix [{t},{p}] is negative ({c})", nameof(confusion));
                }

                rowSums[t] += c;
                colSums[p] += c;
                total += c;
            }

            diagonal += confusion[t, t];
        }

        var perClass = new ClassMetrics[k];
        for (var i = 0; i < k; i++)
        {
            var tp = confusion[i, i];
            var precision = Ratio(tp, colSums[i]);
            var recall = Ratio(tp, rowSums[i]);
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[i] = new ClassMetrics(i, precision, recall, f1, rowSums[i]);
        }

        var matrix = new IReadOnlyList<long>[k];
        for (var t = 0; t < k; t++)
        {
            var row = new long[k];
            for (var p = 0; p < k; p++)
            {
                row[p] = confusion[t, p];
            }

            matrix[t] = row;
        }

        return new ClassificationMetrics
        {
            Accuracy = Ratio(diagonal, total),
            PerClass = perClass,
            MacroF1 = perClass.Average(c => c.F1),
            CohenKappa = Kappa(rowSums, colSums, diagonal, total),
            ConfusionMatrix = matrix,
        };
    }

    /// <summary>Builds the K×K confusion matrix from parallel label arrays and computes the metrics.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or a label lies outside 0..classCount-1.</exception>
    public static ClassificationMetrics FromLabels(
        ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, int classCount)
        => FromConfusionMatrix(BuildConfusionMatrix(predicted, actual, classCount));

    /// <summary>Counts <c>[true, predicted]</c> pairs into a classCount×classCount matrix.</summary>
    public static long[,] BuildConfusionMatrix(ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (predicted.Length != actual.Length)
        {
            throw new ArgumentException(
                $"predicted has {predicted.Length} labels but actual has {actual.Length}", nameof(predicted));
        }

        var confusion = new long[classCount, classCount];
        for (var i = 0; i < predicted.Length; i++)
        {
            var p = predicted[i];
            var t = actual[i];
            if ((uint)p >= (uint)classCount || (uint)t >= (uint)classCount)
            {
                throw new ArgumentException(
                    $"label pair at index {i} (predicted {p}, actual {t}) is outside 0..{classCount - 1}",
                    nameof(predicted));
            }

            confusion[t, p]++;
        }

        return confusion;
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path) => Durable.WriteAllText(path, ToJson());

    public static ClassificationMetrics FromJson(string json)
        => JsonSerializer.Deserialize<ClassificationMetrics>(json, JsonOptions)
           ?? throw new JsonException("metrics JSON is null");

    private static double Ratio(long numerator, long denominator)
        => denominator == 0 ? 0 : (double)numerator / denominator;

    // Kappa = (p_o - p_e) / (1 - p_e). When p_e == 1 (every sample in one class, predicted as that class)
    // sklearn returns NaN; we return 0 under the same zero-division rule so the JSON stays valid.
    private static double Kappa(long[] rowSums, long[] colSums, long diagonal, long total)
    {
        if (total == 0)
        {
            return 0;
        }

        var n = (double)total;
        var observed = diagonal / n;
        var expected = 0.0;
        for (var i = 0; i < rowSums.Length; i++)
        {
            expected += rowSums[i] / n * (colSums[i] / n);
        }

        return expected >= 1 ? 0 : (observed - expected) / (1 - expected);
    }
}
