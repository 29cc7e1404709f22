namespace Mnist.Search.Gp;

/// <summary>
/// GP hyperparameters: ARD inverse squared length-scales (one per feature column), kernel scale (signal
/// variance), observation noise variance and, for grouped observations, the variance of a noise term that the
/// observations of one group share (<see cref="GroupVariance"/>; null: observations are not grouped), all for
/// standardized objective values.
/// </summary>
internal sealed record KernelParameters(double[] InverseSquaredLengthscales, double Scale, double NoiseVariance, double? GroupVariance = null)
{
    public int Dimensions => InverseSquaredLengthscales.Length;

    /// <summary>Whether the observations' groups share a noise term (<see cref="GroupVariance"/> is set).</summary>
    public bool Grouped => GroupVariance is not null;

    /// <summary>The shared noise variance added to the covariance of two observations of one group (0 when not grouped).</summary>
    public double SharedVariance => GroupVariance ?? 0.0;

    /// <summary>Length-scale 1, scale 1, small noise (and small group noise when <paramref name="grouped"/>): the first starting point of the fit.</summary>
    public static KernelParameters Default(int dimensions, bool grouped = false) =>
        new(Enumerable.Repeat(1.0, dimensions).ToArray(), 1.0, 1e-2, grouped ? 1e-2 : null);

    /// <summary>Log of every parameter: [log ρ_1..log ρ_D, log scale, log noise(, log group noise)], the space the fit works in.</summary>
    public double[] ToLog()
    {
        var theta = new double[Dimensions + (Grouped ? 3 : 2)];
        for (var d = 0; d < Dimensions; d++) theta[d] = Math.Log(InverseSquaredLengthscales[d]);
        theta[Dimensions] = Math.Log(Scale);
        theta[Dimensions + 1] = Math.Log(NoiseVariance);
        if (GroupVariance is { } group) theta[Dimensions + 2] = Math.Log(group);
        return theta;
    }

    /// <summary>The inverse of <see cref="ToLog"/>; <paramref name="grouped"/> says whether the last entry is the group noise.</summary>
    public static KernelParameters FromLog(ReadOnlySpan<double> theta, bool grouped = false)
    {
        var dims = theta.Length - (grouped ? 3 : 2);
        var rho = new double[dims];
        for (var d = 0; d < dims; d++) rho[d] = Math.Exp(theta[d]);
        return new KernelParameters(rho, Math.Exp(theta[dims]), Math.Exp(theta[dims + 1]), grouped ? Math.Exp(theta[dims + 2]) : null);
    }
}
