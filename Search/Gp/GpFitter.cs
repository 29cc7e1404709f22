using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Mnist.Search.Gp;

/// <summary>
/// Fits <see cref="KernelParameters"/> by maximizing the log marginal likelihood plus prior with MathNet's
/// bounded BFGS (<see cref="BfgsBMinimizer"/>) in log space, from the default start and a few random ones.
/// </summary>
internal static class GpFitter
{
    /// <param name="groups">Each observation's group: the fit then learns the variance of a noise term each group's
    /// observations share too (<see cref="KernelParameters.GroupVariance"/>); null: independent noise only.</param>
    public static KernelParameters Fit(double[][] x, double[] y, Random rng, GpFitOptions? options = null, IReadOnlyList<int>? groups = null)
    {
        options ??= new GpFitOptions();
        if (x.Length == 0) throw new ArgumentException("cannot fit a GP to zero points", nameof(x));
        if (groups is not null && groups.Count != x.Length) throw new ArgumentException($"{x.Length} points but {groups.Count} groups", nameof(groups));
        var dims = x[0].Length;
        var grouped = groups is not null;
        var g = groups?.ToArray();
        (x, y, g) = Subsample(x, y, g, options.MaxFitPoints, rng);

        var size = dims + (grouped ? 3 : 2);
        var lower = new double[size];
        var upper = new double[size];
        for (var d = 0; d < dims; d++)
        {
            lower[d] = Math.Log(options.MinInverseSquaredLengthscale);
            upper[d] = Math.Log(options.MaxInverseSquaredLengthscale);
        }
        lower[dims] = Math.Log(options.MinScale);
        upper[dims] = Math.Log(options.MaxScale);
        lower[dims + 1] = Math.Log(options.MinNoiseVariance);
        upper[dims + 1] = Math.Log(options.MaxNoiseVariance);
        if (grouped)
        {
            lower[dims + 2] = Math.Log(options.MinNoiseVariance);
            upper[dims + 2] = Math.Log(options.MaxNoiseVariance);
        }

        var starts = new List<double[]> { KernelParameters.Default(dims, grouped).ToLog() };
        for (var r = 0; r < options.Restarts; r++)
        {
            var theta = new double[size];
            for (var d = 0; d < dims; d++) theta[d] = Math.Log(0.1) + rng.NextDouble() * Math.Log(1000);
            theta[dims] = Math.Log(0.3) + rng.NextDouble() * Math.Log(10);
            theta[dims + 1] = Math.Log(1e-5) + rng.NextDouble() * Math.Log(1e4);
            if (grouped) theta[dims + 2] = Math.Log(1e-5) + rng.NextDouble() * Math.Log(1e4);
            starts.Add(theta);
        }

        // Coarse to fine: on many points, first fit a small subsample (each evaluation is O(n³)), then polish
        // that optimum on the full fitting set, which then needs only a few iterations.
        var (coarseX, coarseY, coarseGroups) = Subsample(x, y, g, options.CoarseFitPoints, rng);
        double[]? best = null;
        var bestValue = double.NegativeInfinity;
        foreach (var start in starts)
        {
            for (var i = 0; i < start.Length; i++) start[i] = Math.Clamp(start[i], lower[i], upper[i]);
            var (theta, value) = Maximize(coarseX, coarseY, coarseGroups, start, lower, upper, options.MaxIterations, options);
            if (best is null || value > bestValue)
            {
                best = theta;
                bestValue = value;
            }
        }
        if (coarseX.Length < x.Length) best = Maximize(x, y, g, best!, lower, upper, options.MaxPolishIterations, options).Theta;
        return KernelParameters.FromLog(best!, grouped);
    }

    private static (double[] Theta, double Value) Maximize(double[][] x, double[] y, int[]? groups, double[] start, double[] lower, double[] upper,
        int maxIterations, GpFitOptions options)
    {
        // The minimizer may stop on a failed line search or iteration limit; the best point it evaluated is kept either way.
        var bestTheta = (double[])start.Clone();
        var bestValue = double.NegativeInfinity;
        var objective = ObjectiveFunction.Gradient(v =>
        {
            var theta = v.ToArray();
            var grad = new double[theta.Length];
            var value = MarginalLikelihood.Evaluate(x, y, theta, grad, options, groups);
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

    private static (double[][] X, double[] Y, int[]? Groups) Subsample(double[][] x, double[] y, int[]? groups, int max, Random rng)
    {
        if (x.Length <= max) return (x, y, groups);
        // Keep the best quarter (where the acquisition looks) plus a random draw from the rest.
        var order = Enumerable.Range(0, y.Length).OrderBy(i => y[i]).ToArray();
        var keepBest = max / 4;
        var rest = order.Skip(keepBest).ToArray();
        rng.Shuffle(rest);
        var chosen = order.Take(keepBest).Concat(rest.Take(max - keepBest)).Order().ToArray();
        return (chosen.Select(i => x[i]).ToArray(), chosen.Select(i => y[i]).ToArray(), groups is null ? null : chosen.Select(i => groups[i]).ToArray());
    }
}
