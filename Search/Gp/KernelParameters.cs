namespace Mnist.Search.Gp;

/// <summary>
/// GP hyperparameters: ARD inverse squared length-scales (one per feature column), kernel scale (signal
/// variance) and observation noise variance, all for standardized objective values.
/// </summary>
internal sealed record KernelParameters(double[] InverseSquaredLengthscales, double Scale, double NoiseVariance)
{
    public int Dimensions => InverseSquaredLengthscales.Length;

    /// <summary>Length-scale 1, scale 1, small noise: the first starting point of the fit.</summary>
    public static KernelParameters Default(int dimensions) =>
        new(Enumerable.Repeat(1.0, dimensions).ToArray(), 1.0, 1e-2);

    /// <summary>Log of every parameter: [log ρ_1..log ρ_D, log scale, log noise], the space the fit works in.</summary>
    public double[] ToLog()
    {
        var theta = new double[Dimensions + 2];
        for (var d = 0; d < Dimensions; d++) theta[d] = Math.Log(InverseSquaredLengthscales[d]);
        theta[Dimensions] = Math.Log(Scale);
        theta[Dimensions + 1] = Math.Log(NoiseVariance);
        return theta;
    }

    public static KernelParameters FromLog(ReadOnlySpan<double> theta)
    {
        var dims = theta.Length - 2;
        var rho = new double[dims];
        for (var d = 0; d < dims; d++) rho[d] = Math.Exp(theta[d]);
        return new KernelParameters(rho, Math.Exp(theta[dims]), Math.Exp(theta[dims + 1]));
    }
}
