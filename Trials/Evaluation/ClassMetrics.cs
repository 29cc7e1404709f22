using System.Text.Json.Serialization;

namespace Mnist.Trials.Evaluation;

/// <summary>Precision, recall, F1 and support of one class (one-vs-rest), as in sklearn's classification report.</summary>
/// <param name="Class">The class label (0..K-1).</param>
/// <param name="Precision">TP / (TP + FP); 0 when the class was never predicted.</param>
/// <param name="Recall">TP / (TP + FN); 0 when the class has no true samples.</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="Support">Number of samples whose true class is this one.</param>
internal sealed record ClassMetrics(
    [property: JsonPropertyName("class")] int Class,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] long Support);
