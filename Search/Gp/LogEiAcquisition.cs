namespace Mnist.Search.Gp;

/// <summary>log Expected Improvement of a fitted GP below the incumbent <see cref="Best"/> (minimization, standardized values).</summary>
internal sealed class LogEiAcquisition(GaussianProcess gp, double best)
{
    public GaussianProcess Gp { get; } = gp;

    public double Best { get; } = best;

    public double Value(ReadOnlySpan<double> point)
    {
        var (mean, variance) = Gp.Predict(point);
        return LogExpectedImprovement.Value(mean, variance, Best);
    }

    /// <summary>log EI at <paramref name="point"/>; writes its gradient into <paramref name="gradient"/>.</summary>
    public double ValueAndGradient(ReadOnlySpan<double> point, Span<double> gradient)
    {
        Span<double> dMean = stackalloc double[point.Length];
        Span<double> dVar = stackalloc double[point.Length];
        var (mean, variance) = Gp.Predict(point, dMean, dVar);
        var (value, gMean, gVar) = LogExpectedImprovement.ValueAndGradient(mean, variance, Best);
        for (var d = 0; d < point.Length; d++) gradient[d] = gMean * dMean[d] + gVar * dVar[d];
        return value;
    }
}
