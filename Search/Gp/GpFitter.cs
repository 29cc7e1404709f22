using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Mnist.Search.Gp;

/// <summary>
/// Fits <see cref="KernelParameters"/> by maximizing the log marginal likelihood plus prior with MathNet's
/// bounded BFGS (<see cref="BfgsBMinimizer"/>) in log space, from the default start and a few random ones.
/// </summary>
internal static class GpFitter
{
    public static KernelParameters Fit(double[][] x, double[] y, Random rng, GpFitOptions? options = null)
    {
        options ??= new GpFitOptions();
        if (x.Length == 0) throw new ArgumentException("cannot fit a GP to zero points", nameof(x));
        var dims = x[0].Length;
        (x, y) = Subsample(x, y, options.MaxFitPoints, rng);

        var lower = new double[dims + 2];
        var upper = new double[dims + 2];
        for (var d = 0; d < dims; d++)
        {
            lower[d] = Math.Log(options.MinInverseSquaredLengthscale);
            upper[d] = Math.Log(options.MaxInverseSquaredLengthscale);
        }
        lower[dims] = Math.Log(options.MinScale);
        upper[dims] = Math.Log(options.MaxScale);
        lower[dims + 1] = Math.Log(options.MinNoiseVariance);
        upper[dims + 1] = Math.Log(options.MaxNoiseVariance);

        var starts = new List<double[]> { KernelParameters.Default(dims).ToLog() };
        for (var r = 0; r < options.Restarts; r++)
        {
            var theta = new double[dims + 2];
            for (var d = 0; d < dims; d++) theta[d] = Math.Log(0.1) + rng.NextDouble() * Math.Log(1000);
            theta[dims] = Math.Log(0.3) + rng.NextDouble() * Math.Log(10);
            theta[dims + 1] = Math.Log(1e-5) + rng.NextDouble() * Math.Log(1e4);
            starts.Add(theta);
        }

        // Coarse to fine: on many points, first fit a small subsample (each evaluation is O(n³)), then polish
        // that optimum on the full fitting set, which then needs only a few iterations.
        var (coarseX, coarseY) = Subsample(x, y, options.CoarseFitPoints, rng);
        double[]? best = null;
        var bestValue = double.NegativeInfinity;
        foreach (var start in starts)
        {
            for (var i = 0; i < start.Length; i++) start[i] = Math.Clamp(start[i], lower[i], upper[i]);
            var (theta, value) = Maximize(coarseX, coarseY, start, lower, upper, options.MaxIterations, options);
            if (best is null || value > bestValue)
            {
                best = theta;
                bestValue = value;
            }
        }
        if (coarseX.Length < x.Length) best = Maximize(x, y, best!, lower, upper, options.MaxPolishIterations, options).Theta;
        return KernelParameters.FromLog(best!);
    }

    private static (double[] Theta, double Value) Maximize(double[][] x, double[] y, double[] start, double[] lower, double[] upper, int maxIterations, GpFitOptions options)
    {
        // The minimizer may stop on a failed line search or iteration limit; the best point it evaluated is kept either way.
        var bestTheta = (double[])start.Clone();
        var bestValue = double.NegativeInfinity;
        var objective = ObjectiveFunction.Gradient(v =>
        {
            var theta = v.ToArray();
            var grad = new double[theta.Length];
            var value = MarginalLikelihood.Evaluate(x, y, theta, grad, options);
            if (value > bestValue && double.IsFinite(value))
            {
                bestValue = value;
                bestTheta = theta;
            }
            if (!double.IsFinite(value)) return (1e10, Vector<double>.Build.Dense(theta.Length));
            for (var i = 0; i < grad.Length; i++) grad[i] = -grad[i];
            return (-value, Vector<double>.Build.Dense(grad));
        });
        try
        {
            new BfgsBMinimizer(1e-3, 1e-5, 1e-7, maxIterations).FindMinimum(
                objective, Vector<double>.Build.Dense(lower), Vector<double>.Build.Dense(upper), Vector<double>.Build.Dense(start));
        }
        catch (Exception e) when (e is MaximumIterationsException or InvalidOperationException or ArgumentException or OptimizationException)
        {
            // Keep the best evaluated point.
        }
        return (bestTheta, bestValue);
    }

    private static (double[][] X, double[] Y) Subsample(double[][] x, double[] y, int max, Random rng)
    {
        if (x.Length <= max) return (x, y);
        // Keep the best quarter (where the acquisition looks) plus a random draw from the rest.
        var order = Enumerable.Range(0, y.Length).OrderBy(i => y[i]).ToArray();
        var keepBest = max / 4;
        var rest = order.Skip(keepBest).ToArray();
        rng.Shuffle(rest);
        var chosen = order.Take(keepBest).Concat(rest.Take(max - keepBest)).Order().ToArray();
        return (chosen.Select(i => x[i]).ToArray(), chosen.Select(i => y[i]).ToArray());
    }
}
