using System.Text.Json;
using Mnist.Protocol.Specs;

namespace Mnist.Trials.Model;

/// <summary>
/// Checks a sidecar (<c>model.json</c>) against the ranges a trial spec allows before anything is built from
/// it: a hand-edited or hostile sidecar with <c>conv1_channels</c> 1e8, <c>conv_layers</c> 50 or <c>std</c> 0
/// once made <c>predict</c> allocate gigabytes or crash (issue 11). Every problem is a
/// <see cref="CheckpointException"/> naming the file, the JSON path and the allowed range.
/// </summary>
internal static class SidecarValidator
{
    public const int MaxClasses = 1000;

    /// <summary>Validates the raw JSON <paramref name="text"/> of <paramref name="path"/> and the deserialized <paramref name="sidecar"/>.</summary>
    public static void Validate(string path, string text, ModelSidecar sidecar)
    {
        using (var doc = JsonDocument.Parse(text))
        {
            try
            {
                // The same reader and ranges as a spec's hyperparameters, so the two can never disagree.
                TrialSpec.ReadHyperparameterObject(doc.RootElement.GetProperty("architecture"), path, "architecture");
            }
            catch (SpecException e)
            {
                throw new CheckpointException(e.Message, e);
            }
        }
        if (sidecar.InputShape is not [1, 28, 28])
            throw Bad(path, "input_shape", $"[{string.Join(",", sidecar.InputShape ?? [])}]", "[1,28,28]");
        // A null (or missing) object deserializes as null and was read through: a NullReferenceException stack trace.
        if (sidecar.Normalization is null)
            throw Bad(path, "normalization", "null", "an object {\"mean\": ..., \"std\": ...}");
        if (!double.IsFinite(sidecar.Normalization.Mean) || Math.Abs(sidecar.Normalization.Mean) > 1e3)
            throw Bad(path, "normalization.mean", Show(sidecar.Normalization.Mean), "a finite number in [-1000, 1000]");
        if (!double.IsFinite(sidecar.Normalization.Std) || sidecar.Normalization.Std < 1e-6 || sidecar.Normalization.Std > 1e3)
            throw Bad(path, "normalization.std", Show(sidecar.Normalization.Std), "a number in [1e-06, 1000]");
        if (sidecar.ClassNames is null || sidecar.ClassNames.Count is < 2 or > MaxClasses)
            throw Bad(path, "class_names", $"{sidecar.ClassNames?.Count ?? 0} names", $"2..{MaxClasses} names");
        if (sidecar.ClassNames.Any(n => string.IsNullOrEmpty(n) || n.Length > 100))
            throw Bad(path, "class_names", "an empty or over-long name", "names of 1..100 characters");
    }

    private static CheckpointException Bad(string path, string jsonPath, string value, string expected) =>
        new($"{path}: $.{jsonPath}: {value} is not valid (expected {expected})");

    private static string Show(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
