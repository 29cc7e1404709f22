using System.Text.Json;
using Mnist.Search.Tests.Support.Post;
using Mnist.Trials.Evaluation;

namespace Mnist.Search.Tests.Trials.Evaluation;

public sealed class ClassificationMetricsTests
{
    private const double Tolerance = 1e-12;

    // rows = true class, columns = predicted class; every expected value below is worked out by hand.
    private static readonly long[,] ThreeClass =
    {
        { 5, 1, 0 },
        { 2, 3, 1 },
        { 0, 0, 4 },
    };

    [Fact]
    public void WhenGivenAConfusionMatrixThenAccuracyIsTheDiagonalShare()
    {
        // When
        var metrics = ClassificationMetrics.FromConfusionMatrix(ThreeClass);

        // Then: 12 of 16 on the diagonal
        Assert.Equal(12.0 / 16, metrics.Accuracy, Tolerance);
        Assert.Equal(16, metrics.Total);
    }

    [Fact]
    public void WhenGivenAConfusionMatrixThenPerClassPrecisionRecallF1AndSupportMatchHandComputedValues()
    {
        // When
        var perClass = ClassificationMetrics.FromConfusionMatrix(ThreeClass).PerClass;

        // Then: column sums 7,4,5; row sums 6,6,4
        Assert.Equal([0, 1, 2], perClass.Select(c => c.Class));
        Assert.Equal(5.0 / 7, perClass[0].Precision, Tolerance);
        Assert.Equal(3.0 / 4, perClass[1].Precision, Tolerance);
        Assert.Equal(4.0 / 5, perClass[2].Precision, Tolerance);
        Assert.Equal(5.0 / 6, perClass[0].Recall, Tolerance);
        Assert.Equal(3.0 / 6, perClass[1].Recall, Tolerance);
        Assert.Equal(1.0, perClass[2].Recall, Tolerance);
        Assert.Equal(10.0 / 13, perClass[0].F1, Tolerance);
        Assert.Equal(0.6, perClass[1].F1, Tolerance);
        Assert.Equal(8.0 / 9, perClass[2].F1, Tolerance);
        Assert.Equal([6L, 6L, 4L], perClass.Select(c => c.Support));
    }

    [Fact]
    public void WhenGivenAConfusionMatrixThenMacroF1AndKappaMatchHandComputedValues()
    {
        // When
        var metrics = ClassificationMetrics.FromConfusionMatrix(ThreeClass);

        // Then: p_o = 12/16, p_e = (6·7 + 6·4 + 4·5) / 16² = 86/256, kappa = (192 − 86) / (256 − 86)
        Assert.Equal((10.0 / 13 + 0.6 + 8.0 / 9) / 3, metrics.MacroF1, Tolerance);
        Assert.Equal(106.0 / 170, metrics.CohenKappa, Tolerance);
    }

    [Fact]
    public void WhenAClassIsNeverPredictedNorPresentThenItsRatiosAreZeroAndStillCountInMacroF1()
    {
        // Given: class 2 has no samples and no predictions
        long[,] confusion = { { 2, 0, 0 }, { 1, 1, 0 }, { 0, 0, 0 } };

        // When
        var metrics = ClassificationMetrics.FromConfusionMatrix(confusion);

        // Then
        var absent = metrics.PerClass[2];
        Assert.Equal((0.0, 0.0, 0.0, 0L), (absent.Precision, absent.Recall, absent.F1, absent.Support));
        Assert.Equal(1.0, metrics.PerClass[1].Precision, Tolerance);
        Assert.Equal(0.5, metrics.PerClass[1].Recall, Tolerance);
        var f1Class0 = 2 * (2.0 / 3) * 1.0 / (2.0 / 3 + 1.0);
        var f1Class1 = 2 * 1.0 * 0.5 / 1.5;
        Assert.Equal((f1Class0 + f1Class1 + 0) / 3, metrics.MacroF1, Tolerance);
    }

    [Fact]
    public void WhenAClassIsPredictedButNeverTrueThenItsPrecisionIsZero()
    {
        // Given: one sample of class 0 predicted as class 1
        long[,] confusion = { { 1, 1 }, { 0, 0 } };

        // When
        var metrics = ClassificationMetrics.FromConfusionMatrix(confusion);

        // Then
        Assert.Equal(0.0, metrics.PerClass[1].Precision);
        Assert.Equal(0.0, metrics.PerClass[1].Recall);
        Assert.Equal(1.0, metrics.PerClass[0].Precision);
        Assert.Equal(0.5, metrics.PerClass[0].Recall, Tolerance);
    }

    [Fact]
    public void WhenTheMatrixIsAllZeroThenEveryMetricIsZero()
    {
        // When
        var metrics = ClassificationMetrics.FromConfusionMatrix(new long[10, 10]);

        // Then
        Assert.Equal(0.0, metrics.Accuracy);
        Assert.Equal(0.0, metrics.MacroF1);
        Assert.Equal(0.0, metrics.CohenKappa);
        Assert.All(metrics.PerClass, c => Assert.Equal(0.0, c.F1));
    }

    [Fact]
    public void WhenEverySampleIsOneCorrectlyPredictedClassThenKappaIsZeroInsteadOfNaN()
    {
        // Given: expected agreement is 1, so kappa is 0/0
        long[,] confusion = { { 7, 0 }, { 0, 0 } };

        // When
        var metrics = ClassificationMetrics.FromConfusionMatrix(confusion);

        // Then
        Assert.Equal(1.0, metrics.Accuracy);
        Assert.Equal(0.0, metrics.CohenKappa);
    }

    [Fact]
    public void WhenPredictionsArePerfectThenKappaAndMacroF1AreOne()
    {
        // Given
        int[] labels = [0, 1, 2, 2, 1, 0, 3];

        // When
        var metrics = ClassificationMetrics.FromLabels(labels, labels, 4);

        // Then
        Assert.Equal(1.0, metrics.Accuracy);
        Assert.Equal(1.0, metrics.CohenKappa, Tolerance);
        Assert.Equal(1.0, metrics.MacroF1, Tolerance);
    }

    [Fact]
    public void WhenBuiltFromLabelsThenRowsAreTrueClassesAndColumnsArePredictions()
    {
        // Given
        int[] predicted = [0, 1, 1, 2, 0];
        int[] actual = [0, 0, 1, 2, 2];

        // When
        var matrix = ClassificationMetrics.BuildConfusionMatrix(predicted, actual, 3);

        // Then
        Assert.Equal(1, matrix[0, 0]);
        Assert.Equal(1, matrix[0, 1]);
        Assert.Equal(1, matrix[1, 1]);
        Assert.Equal(1, matrix[2, 2]);
        Assert.Equal(1, matrix[2, 0]);
        Assert.Equal(5, matrix.Cast<long>().Sum());
    }

    [Fact]
    public void WhenALabelIsOutOfRangeThenTheErrorNamesTheIndexAndValue()
    {
        // When
        var error = Assert.Throws<ArgumentException>(
            () => ClassificationMetrics.FromLabels([0, 10], [0, 1], 10));

        // Then
        Assert.Contains("index 1", error.Message);
        Assert.Contains("predicted 10", error.Message);
    }

    [Fact]
    public void WhenLabelArraysDifferInLengthThenItThrows()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.FromLabels([0, 1], [0], 2));
    }

    [Fact]
    public void WhenTheMatrixIsNotSquareThenItThrows()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.FromConfusionMatrix(new long[2, 3]));
    }

    [Fact]
    public void WhenSerializedThenKeysAreSnakeCaseAndTheValuesRoundTrip()
    {
        // Given
        var metrics = ClassificationMetrics.FromConfusionMatrix(ThreeClass) with { Loss = 0.25 };

        // When
        var json = metrics.ToJson();
        using var document = JsonDocument.Parse(json);
        var back = ClassificationMetrics.FromJson(json);

        // Then
        var root = document.RootElement;
        Assert.Equal(
            ["accuracy", "loss", "per_class", "macro_f1", "cohen_kappa", "confusion_matrix"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            ["class", "precision", "recall", "f1", "support"],
            root.GetProperty("per_class")[1].EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, root.GetProperty("confusion_matrix")[1][0].GetInt64());
        Assert.Equal(metrics.Accuracy, back.Accuracy);
        Assert.Equal(0.25, back.Loss);
        Assert.Equal(metrics.PerClass, back.PerClass);
        Assert.Equal(metrics.ConfusionMatrix.SelectMany(r => r), back.ConfusionMatrix.SelectMany(r => r));
    }

    [Fact]
    public void WhenLossIsUnknownThenItIsWrittenAsNull()
    {
        // When
        using var document = JsonDocument.Parse(ClassificationMetrics.FromConfusionMatrix(ThreeClass).ToJson());

        // Then
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("loss").ValueKind);
    }

    [Fact]
    public void WhenSavedThenTheFileHoldsTheJsonAndNoTemporaryFileRemains()
    {
        // Given
        using var dir = new TempDirectory();
        var path = dir.File("out/metrics.json");
        var metrics = ClassificationMetrics.FromConfusionMatrix(ThreeClass) with { Loss = 0.5 };

        // When
        metrics.Save(path);

        // Then
        Assert.Equal(metrics.ToJson(), File.ReadAllText(path));
        Assert.Equal(["metrics.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }
}
