namespace Mnist.Trials.Training;

/// <summary>Mean cross-entropy loss, accuracy and the confusion matrix (<c>[true, predicted]</c> counts) over a split.</summary>
internal sealed record EvaluationResult(double Loss, double Accuracy, long[,] ConfusionMatrix, int Images)
{
    /// <summary>The confusion matrix as rows (true class) of columns (predicted class), for JSON.</summary>
    public long[][] ConfusionRows()
    {
        int n = ConfusionMatrix.GetLength(0);
        var rows = new long[n][];
        for (int i = 0; i < n; i++)
        {
            rows[i] = new long[ConfusionMatrix.GetLength(1)];
            for (int j = 0; j < rows[i].Length; j++) rows[i][j] = ConfusionMatrix[i, j];
        }
        return rows;
    }
}
