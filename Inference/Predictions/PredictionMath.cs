namespace Mnist.Inference.Predictions;

/// <summary>Pure helpers turning logits into probabilities and rankings.</summary>
internal static class PredictionMath
{
    /// <summary>Numerically stable softmax (the maximum logit is subtracted first), in double precision.</summary>
    /// <exception cref="ArgumentException">The span is empty or holds NaN or ±∞.</exception>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("no logits to turn into probabilities", nameof(logits));
        }

        var max = double.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++)
        {
            if (!float.IsFinite(logits[i]))
            {
                throw new ArgumentException($"logit {i} is {logits[i]}", nameof(logits));
            }

            max = Math.Max(max, logits[i]);
        }

        var result = new double[logits.Length];
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            sum += result[i];
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }

        return result;
    }

    /// <summary>The k most probable classes, most probable first; equal probabilities keep class order.
    /// k larger than the class count returns every class.</summary>
    public static IReadOnlyList<DigitProbability> TopK(ReadOnlySpan<double> probabilities, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var ranked = new DigitProbability[probabilities.Length];
        for (var i = 0; i < ranked.Length; i++)
        {
            ranked[i] = new DigitProbability(i, probabilities[i]);
        }

        // OrderByDescending is a stable sort, so ties stay in ascending class order.
        return ranked.OrderByDescending(p => p.Probability).Take(k).ToArray();
    }
}
