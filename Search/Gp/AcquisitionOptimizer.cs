using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace Mnist.Search.Gp;

/// <summary>
/// Maximizes an acquisition over the mixed unit cube: screens scrambled-Halton candidates, then refines the
/// best few (and the warm starts, typically the best observed point) by alternating MathNet's bounded BFGS
/// on the smooth columns with a discrete search on the others (every choice of a categorical, every grid
/// value of a small discrete parameter, exponentially spaced neighbours of a large one). Discrete parameters
/// take part in the first BFGS round relaxed, then are snapped to their grid. A cancellation is checked between
/// candidates and at every BFGS evaluation, so a stop ends a proposal within milliseconds.
/// </summary>
internal static class AcquisitionOptimizer
{
    private const int ExhaustiveGridLimit = 16;

    public static (double[] Point, double Value) Maximize(
        LogEiAcquisition acquisition, IReadOnlyList<FeatureDimension> dimensions, int columns, Random rng,
        IReadOnlyList<double[]> warmStarts, AcquisitionOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new AcquisitionOptions();
        var halton = new ScrambledHalton(dimensions.Count, rng);
        var candidates = new List<(double[] X, double F)>(options.Candidates);
        for (var c = 0; c < options.Candidates; c++)
        {
            cancellation.ThrowIfCancellationRequested();
            var u = halton.Point(c);
            var x = new double[columns];
            for (var p = 0; p < dimensions.Count; p++) dimensions[p].FromUniform(u[p], x);
            candidates.Add((x, acquisition.Value(x)));
        }
        candidates.Sort((a, b) => b.F.CompareTo(a.F));

        var starts = warmStarts.Select(w => ((double[])w.Clone(), acquisition.Value(w)))
            .Concat(candidates.Take(options.LocalSearches)).ToList();
        var best = candidates[0];
        foreach (var (x0, f0) in starts)
        {
            var result = LocalSearch(acquisition, dimensions, x0, f0, options, cancellation);
            if (result.F > best.F) best = result;
        }
        return (best.X, best.F);
    }

    private static (double[] X, double F) LocalSearch(
        LogEiAcquisition acquisition, IReadOnlyList<FeatureDimension> dimensions, double[] x, double f, AcquisitionOptions options,
        CancellationToken cancellation)
    {
        for (var round = 0; round < options.Rounds; round++)
        {
            cancellation.ThrowIfCancellationRequested();
            var before = f;
            var relax = round == 0;
            var smooth = dimensions.Where(d => d.IsSmooth || (relax && d.Kind == FeatureKind.Discrete)).Select(d => d.Column).ToArray();
            if (smooth.Length > 0)
            {
                var (xs, _) = Bfgs(acquisition, x, smooth, options.MaxIterations, cancellation);
                foreach (var d in dimensions)
                    if (d.Kind == FeatureKind.Discrete && d.Grid is not null) xs[d.Column] = d.Grid[d.NearestGridIndex(xs[d.Column])];
                var fs = acquisition.Value(xs);
                if (fs > f) (x, f) = (xs, fs);
            }
            foreach (var d in dimensions)
            {
                if (d.Kind == FeatureKind.Categorical) (x, f) = TryChoices(acquisition, d, x, f);
                else if (d.Kind == FeatureKind.Discrete && d.Grid is not null) (x, f) = TryGrid(acquisition, d, x, f);
            }
            if (f <= before + 1e-9) break;
        }
        return (x, f);
    }

    private static (double[] X, double F) TryChoices(LogEiAcquisition acquisition, FeatureDimension d, double[] x, double f)
    {
        var current = d.GetChoice(x);
        var trial = (double[])x.Clone();
        for (var c = 0; c < d.Width; c++)
        {
            if (c == current) continue;
            d.SetChoice(trial, c);
            var ft = acquisition.Value(trial);
            if (ft > f)
            {
                (x, f) = ((double[])trial.Clone(), ft);
            }
        }
        return (x, f);
    }

    private static (double[] X, double F) TryGrid(LogEiAcquisition acquisition, FeatureDimension d, double[] x, double f)
    {
        var grid = d.Grid!;
        var current = d.NearestGridIndex(x[d.Column]);
        IEnumerable<int> indices = grid.Length <= ExhaustiveGridLimit
            ? Enumerable.Range(0, grid.Length)
            : Enumerable.Range(0, 31).Select(k => 1 << k).TakeWhile(s => s < grid.Length)
                .SelectMany(s => new[] { current - s, current + s }).Where(i => i >= 0 && i < grid.Length);
        var trial = (double[])x.Clone();
        foreach (var i in indices)
        {
            if (i == current) continue;
            trial[d.Column] = grid[i];
            var ft = acquisition.Value(trial);
            if (ft > f) (x, f) = ((double[])trial.Clone(), ft);
        }
        return (x, f);
    }

    private static (double[] X, double F) Bfgs(LogEiAcquisition acquisition, double[] start, int[] columns, int maxIterations, CancellationToken cancellation)
    {
        // MathNet's minimizer may end on a failed line search; the best point it evaluated is kept either way.
        var bestX = (double[])start.Clone();
        var bestF = double.NegativeInfinity;
        var work = (double[])start.Clone();
        var full = new double[start.Length];
        var objective = ObjectiveFunction.Gradient(v =>
        {
            // Not among the exceptions caught below: a stop ends the search at once (one evaluation is milliseconds at the
            // GP's cap); were the minimizer to wrap it, the check at the next round or candidate would throw instead.
            cancellation.ThrowIfCancellationRequested();
            for (var i = 0; i < columns.Length; i++) work[columns[i]] = Math.Clamp(v[i], 0.0, 1.0);
            var value = acquisition.ValueAndGradient(work, full);
            if (value > bestF)
            {
                bestF = value;
                bestX = (double[])work.Clone();
            }
            var g = Vector<double>.Build.Dense(columns.Length);
            for (var i = 0; i < columns.Length; i++) g[i] = -full[columns[i]];
            return (-value, g);
        });
        try
        {
            new BfgsBMinimizer(1e-6, 1e-8, 1e-10, maxIterations).FindMinimum(
                objective,
                Vector<double>.Build.Dense(columns.Length, 0.0),
                Vector<double>.Build.Dense(columns.Length, 1.0),
                Vector<double>.Build.Dense(columns.Select(c => start[c]).ToArray()));
        }
        catch (Exception e) when (e is MaximumIterationsException or InvalidOperationException or ArgumentException or OptimizationException)
        {
            // Keep the best evaluated point.
        }
        return (bestX, bestF);
    }
}
