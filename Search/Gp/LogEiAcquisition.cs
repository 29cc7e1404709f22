namespace Mnist.Search.Gp;

/// <summary>
/// log Expected Improvement of a fitted GP below the incumbent <see cref="Best"/> (minimization, standardized values).
/// With a <see cref="FeatureProjection"/>, every point is projected before it is scored, so the optimizer does not
/// spend itself on columns the proposal will not keep, and the gradient in the columns it fixes is zero.
/// </summary>
internal sealed class LogEiAcquisition(GaussianProcess gp, double best, FeatureProjection? projection = null)
{
    public GaussianProcess Gp { get; } = gp;

    public double Best { get; } = best;

    public double Value(ReadOnlySpan<double> point)
    {
        if (projection is not null)
        {
            var projected = point.ToArray();
            projection(projected, new bool[projected.Length]);
            point = projected;
        }
        var (mean, variance) = Gp.Predict(point);
        return LogExpectedImprovement.Value(mean, variance, Best);
    }

    /// <summary>log EI at <paramref name="point"/>; writes its gradient into <paramref name="gradient"/>.</summary>
    public double ValueAndGradient(ReadOnlySpan<double> point, Span<double> gradient)
    {
        Span<bool> fixedColumns = stackalloc bool[point.Length];
        if (projection is not null)
        {
            var projected = point.ToArray();
            projection(projected, fixedColumns);
            point = projected;
        }
        Span<double> dMean = stackalloc double[point.Length];
        Span<double> dVar = stackalloc double[point.Length];
        var (mean, variance) = Gp.Predict(point, dMean, dVar);
        var (value, gMean, gVar) = LogExpectedImprovement.ValueAndGradient(mean, variance, Best);
        for (var d = 0; d < point.Length; d++) gradient[d] = fixedColumns[d] ? 0.0 : gMean * dMean[d] + gVar * dVar[d];
        return value;
    }
}
