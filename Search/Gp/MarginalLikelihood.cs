using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Double;

namespace Mnist.Search.Gp;

/// <summary>
/// Log marginal likelihood of a zero-mean GP (plus <see cref="HyperparameterPrior"/>) and its gradient with
/// respect to the log parameters: ∂/∂θ = ½·tr((ααᵀ − K⁻¹)·∂K/∂θ), α = K⁻¹y.
/// </summary>
internal static class MarginalLikelihood
{
    private static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>
    /// Log posterior density (up to a constant) of <paramref name="theta"/> (see <see cref="KernelParameters.ToLog"/>);
    /// writes its gradient into <paramref name="gradient"/>. Returns −∞ when K is not positive definite. The prior's
    /// rates are <paramref name="options"/>' (the defaults when null). With <paramref name="groups"/> (each
    /// observation's), θ ends with the log variance of the noise each group shares (<see cref="KernelParameters.GroupVariance"/>).
    /// </summary>
    public static double Evaluate(double[][] x, double[] y, ReadOnlySpan<double> theta, Span<double> gradient, GpFitOptions? options = null,
        IReadOnlyList<int>? groups = null)
    {
        var n = y.Length;
        var p = KernelParameters.FromLog(theta, grouped: groups is not null);
        var shared = p.SharedVariance;
        var dims = p.Dimensions;
        var rho = p.InverseSquaredLengthscales;
        var k = new DenseMatrix(n, n);
        var kv = k.Values; // column-major, symmetric
        var dk = new double[n * n]; // scale · f'(d²) per pair
        for (var j = 0; j < n; j++)
        {
            kv[j * n + j] = p.Scale + p.NoiseVariance + shared;
            for (var i = j + 1; i < n; i++)
            {
                var d2 = Matern52Kernel.SquaredDistance(x[i], x[j], rho);
                var value = p.Scale * Matern52Kernel.Value(d2);
                kv[j * n + i] = value + (groups is not null && groups[i] == groups[j] ? shared : 0.0);
                kv[i * n + j] = kv[j * n + i];
                dk[j * n + i] = p.Scale * Matern52Kernel.Derivative(d2);
            }
        }

        MathNet.Numerics.LinearAlgebra.Factorization.Cholesky<double> chol;
        try { chol = k.Cholesky(); }
        catch (ArgumentException) { gradient.Clear(); return double.NegativeInfinity; }

        var yv = Vector<double>.Build.Dense(y);
        var alpha = chol.Solve(yv).ToArray();
        var inv = (DenseMatrix)chol.Solve(DenseMatrix.CreateIdentity(n));
        var iv = inv.Values;

        var logLik = -0.5 * VectorMath.Dot(y, alpha) - 0.5 * chol.DeterminantLn - n * HalfLog2Pi;

        gradient.Clear();
        var gScale = 0.0;
        var gNoise = 0.0;
        var gGroup = 0.0;
        for (var j = 0; j < n; j++)
        {
            var gjj = alpha[j] * alpha[j] - iv[j * n + j];
            gScale += 0.5 * gjj * p.Scale;
            gNoise += 0.5 * gjj * p.NoiseVariance;
            gGroup += 0.5 * gjj * shared;
            var xj = x[j];
            for (var i = j + 1; i < n; i++)
            {
                // Pairs i ≠ j appear twice in the trace; the ½ cancels.
                var g = alpha[i] * alpha[j] - iv[j * n + i];
                var sameGroup = groups is not null && groups[i] == groups[j];
                gScale += g * (kv[j * n + i] - (sameGroup ? shared : 0.0));
                if (sameGroup) gGroup += g * shared;
                var m = g * dk[j * n + i];
                var xi = x[i];
                for (var d = 0; d < dims; d++)
                {
                    var t = xi[d] - xj[d];
                    gradient[d] += m * t * t;
                }
            }
        }
        for (var d = 0; d < dims; d++) gradient[d] *= rho[d];
        gradient[dims] = gScale;
        gradient[dims + 1] = gNoise;
        if (p.Grouped) gradient[dims + 2] = gGroup;

        return logLik + HyperparameterPrior.LogDensity(p, gradient,
            options?.LengthscalePriorRate ?? HyperparameterPrior.LengthscaleRate, options?.NoisePriorRate ?? HyperparameterPrior.NoiseRate);
    }
}
