using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Double;

namespace Mnist.Search.Gp;

/// <summary>
/// A GP conditioned on observations (x in the unit cube, y standardized) with fixed hyperparameters:
/// Cholesky K = LLᵀ (K = scale·f(D) + noise·I) via MathNet and α = K⁻¹y; a prediction then costs one forward
/// substitution, v = L⁻¹k*, var = scale − ‖v‖², which stays accurate where K is ill-conditioned (an explicit
/// K⁻¹ loses the tiny variances next to observations that log EI depends on). Predicts the latent function
/// (no observation noise in the variance).
/// <para>Grouped observations (<see cref="KernelParameters.GroupVariance"/>): two observations of one group covary
/// by that variance more, a noise term they share (the epochs of one trial share its training seed). A prediction is
/// of the latent function at a point of no group (a new trial's configuration), without that term.</para>
/// </summary>
internal sealed class GaussianProcess
{
    private readonly double[][] _x;
    private readonly double[] _y;
    private readonly int[] _groups;
    private readonly double[] _alpha;
    private readonly double[] _lowerRows; // L row-major: row i at [i·n, i·n + i]
    private readonly double[] _lowerColumns; // L column-major: column i at [i·n + i, (i+1)·n)

    /// <param name="groups">Each observation's group (grouped parameters only; null: every observation its own).</param>
    public GaussianProcess(double[][] x, double[] y, KernelParameters parameters, IReadOnlyList<int>? groups = null)
    {
        if (x.Length != y.Length) throw new ArgumentException($"{x.Length} points but {y.Length} values");
        if (x.Length == 0) throw new ArgumentException("a GP needs at least one observation", nameof(x));
        if (groups is not null && groups.Count != x.Length) throw new ArgumentException($"{x.Length} points but {groups.Count} groups");
        if (parameters.Grouped && groups is null) throw new ArgumentException("grouped kernel parameters need the observations' groups", nameof(groups));
        _x = x;
        _y = y;
        _groups = groups?.ToArray() ?? Enumerable.Range(0, x.Length).ToArray();
        Parameters = parameters;
        var n = x.Length;
        var shared = parameters.SharedVariance;
        var k = new DenseMatrix(n, n);
        var kv = k.Values;
        for (var j = 0; j < n; j++)
        {
            kv[j * n + j] = parameters.Scale + parameters.NoiseVariance + shared;
            for (var i = j + 1; i < n; i++)
            {
                var value = parameters.Scale * Matern52Kernel.Value(
                    Matern52Kernel.SquaredDistance(x[i], x[j], parameters.InverseSquaredLengthscales))
                    + (_groups[i] == _groups[j] ? shared : 0.0);
                kv[j * n + i] = value;
                kv[i * n + j] = value;
            }
        }
        var chol = k.Cholesky();
        _alpha = chol.Solve(Vector<double>.Build.Dense(y)).ToArray();
        _lowerColumns = ((DenseMatrix)chol.Factor).Values;
        _lowerRows = ((DenseMatrix)chol.Factor.Transpose()).Values;
    }

    public KernelParameters Parameters { get; }

    public int Count => _x.Length;

    /// <summary>Posterior mean and variance of the latent function at <paramref name="point"/>.</summary>
    public (double Mean, double Variance) Predict(ReadOnlySpan<double> point)
    {
        var kStar = KStar(point);
        var mean = VectorMath.Dot(kStar, _alpha);
        var v = ForwardSubstitute(kStar);
        return (mean, Math.Max(Parameters.Scale - VectorMath.Dot(v, v), 0.0));
    }

    /// <summary>
    /// Posterior mean of the latent function at <paramref name="point"/>: k*ᵀα, O(n), without the O(n²) forward
    /// substitution the variance needs. The same k* and product as <see cref="Predict(ReadOnlySpan{double})"/>'s mean, so the
    /// two agree to the last bit (a sampler switched to it proposes what it proposed before).
    /// </summary>
    public double PredictMean(ReadOnlySpan<double> point) => VectorMath.Dot(KStar(point), _alpha);

    // The prior covariances k* of point with every observation.
    private double[] KStar(ReadOnlySpan<double> point)
    {
        var kStar = new double[Count];
        for (var i = 0; i < kStar.Length; i++)
            kStar[i] = Parameters.Scale * Matern52Kernel.Value(Matern52Kernel.SquaredDistance(point, _x[i], Parameters.InverseSquaredLengthscales));
        return kStar;
    }

    /// <summary>Posterior means of the latent function at <paramref name="points"/>.</summary>
    public double[] PredictMeans(IReadOnlyList<double[]> points) => points.Select(p => PredictMean(p)).ToArray();

    /// <summary>
    /// Posterior mean and variance with their gradients with respect to <paramref name="point"/>
    /// (written into <paramref name="meanGradient"/> and <paramref name="varianceGradient"/>).
    /// </summary>
    public (double Mean, double Variance) Predict(ReadOnlySpan<double> point, Span<double> meanGradient, Span<double> varianceGradient)
    {
        var n = Count;
        var dims = point.Length;
        var rho = Parameters.InverseSquaredLengthscales;
        var kStar = new double[n];
        var dkd2 = new double[n];
        for (var i = 0; i < n; i++)
        {
            var d2 = Matern52Kernel.SquaredDistance(point, _x[i], rho);
            kStar[i] = Parameters.Scale * Matern52Kernel.Value(d2);
            dkd2[i] = Parameters.Scale * Matern52Kernel.Derivative(d2);
        }
        var mean = VectorMath.Dot(kStar, _alpha);
        var v = ForwardSubstitute(kStar);
        var variance = Parameters.Scale - VectorMath.Dot(v, v);
        var q = BackSubstitute(v); // K⁻¹k*

        meanGradient.Clear();
        varianceGradient.Clear();
        for (var i = 0; i < n; i++)
        {
            // ∂k_i/∂x_d = scale·f'(d²)·2ρ_d(x_d − x_id); ∂var/∂x = −2 qᵀ ∂k/∂x.
            var xi = _x[i];
            var wMean = _alpha[i] * dkd2[i] * 2.0;
            var wVar = -2.0 * q[i] * dkd2[i] * 2.0;
            for (var d = 0; d < dims; d++)
            {
                var t = rho[d] * (point[d] - xi[d]);
                meanGradient[d] += wMean * t;
                varianceGradient[d] += wVar * t;
            }
        }
        return (mean, Math.Max(variance, 0.0));
    }

    /// <summary>L⁻¹b.</summary>
    private double[] ForwardSubstitute(double[] b)
    {
        var n = b.Length;
        var v = new double[n];
        for (var i = 0; i < n; i++)
        {
            var row = _lowerRows.AsSpan(i * n, i + 1);
            v[i] = (b[i] - VectorMath.Dot(row[..i], v.AsSpan(0, i))) / row[i];
        }
        return v;
    }

    /// <summary>L⁻ᵀb.</summary>
    private double[] BackSubstitute(double[] b)
    {
        var n = b.Length;
        var w = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var column = _lowerColumns.AsSpan(i * n + i, n - i);
            w[i] = (b[i] - VectorMath.Dot(column[1..], w.AsSpan(i + 1))) / column[0];
        }
        return w;
    }

    /// <summary>
    /// The same GP (same hyperparameters) conditioned on extra points too; used for pending trials with
    /// made-up values (constant liar), so no refit is needed. <paramref name="extraGroups"/>: theirs (null: each
    /// its own, apart from every observed group).
    /// </summary>
    public GaussianProcess WithObservations(IReadOnlyList<double[]> extraX, IReadOnlyList<double> extraY, IReadOnlyList<int>? extraGroups = null)
    {
        if (extraX.Count == 0) return this;
        var fresh = _groups.Length == 0 ? 0 : _groups.Max() + 1;
        var groups = _groups.Concat(extraGroups ?? Enumerable.Range(fresh, extraX.Count).ToArray()).ToArray();
        return new GaussianProcess(_x.Concat(extraX).ToArray(), _y.Concat(extraY).ToArray(), Parameters, groups);
    }
}
