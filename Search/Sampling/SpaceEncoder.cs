using Mnist.Search.Gp;
using Mnist.Search.Space;

namespace Mnist.Search.Sampling;

/// <summary>
/// Maps a <see cref="SearchSpace"/>'s internal parameter values to and from the GP's unit-cube feature vector:
/// floats linearly (log floats in log space); ints and stepped floats likewise over [low − step/2, high + step/2]
/// (as Optuna does, so each grid value owns an equal slice of [0, 1] and rounding a uniform draw is uniform);
/// categoricals one-hot, except numeric ones (see <see cref="OrdinalGrid"/>). Also turns one uniform draw per
/// parameter into a valid internal value.
/// </summary>
internal sealed class SpaceEncoder
{
    // Past this many values a discrete parameter is searched as continuous and rounded when decoded.
    private const long MaxGridSize = 100_000;

    private readonly Mapping[] _mappings;

    public SpaceEncoder(SearchSpace space)
    {
        Space = space;
        var dims = new List<FeatureDimension>();
        var mappings = new List<Mapping>();
        var column = 0;
        foreach (var (name, distribution) in space.Parameters)
        {
            var mapping = Mapping.For(name, distribution);
            mappings.Add(mapping);
            var dim = distribution switch
            {
                CategoricalDistribution when mapping.Ordinal is { } grid => FeatureDimension.Discrete(column, grid),
                CategoricalDistribution c => FeatureDimension.Categorical(column, c.Choices.Count),
                _ when mapping.GridCount is { } count && count <= MaxGridSize =>
                    FeatureDimension.Discrete(column, Enumerable.Range(0, (int)count).Select(k => mapping.Encode(mapping.GridValue(k))).ToArray()),
                _ => FeatureDimension.Continuous(column),
            };
            dims.Add(dim);
            column += dim.Width;
        }
        _mappings = mappings.ToArray();
        Dimensions = dims;
        Columns = column;
    }

    public SearchSpace Space { get; }

    /// <summary>
    /// Numeric choices in increasing order (batch sizes 64/128/256, layer counts) are one ordered quantity, so they
    /// take one discrete column at their (log, when all positive) positions scaled to [0, 1]: what the GP learns of
    /// one choice then carries to its neighbours. One-hot, each choice is learned alone, and a choice whose few
    /// start-up trials happened to pair it with bad learning rates was written off: on bench/search's replay of
    /// the default space (knn, 50 seeds) a gp study then never returned to batch 64, where every good
    /// configuration of the table lies. Null for other categoricals (strings, unordered numbers).
    /// </summary>
    internal static double[]? OrdinalGrid(CategoricalDistribution c)
    {
        if (c.Choices.Count < 2) return null;
        var values = new double[c.Choices.Count];
        for (var k = 0; k < values.Length; k++)
        {
            switch (c.Choices[k])
            {
                case long l: values[k] = l; break;
                case int i: values[k] = i; break;
                case double d when double.IsFinite(d): values[k] = d; break;
                default: return null;
            }
            if (k > 0 && values[k] <= values[k - 1]) return null;
        }
        var log = values[0] > 0;
        var positions = values.Select(v => log ? Math.Log(v) : v).ToArray();
        var (lo, span) = (positions[0], positions[^1] - positions[0]);
        return positions.Select(v => (v - lo) / span).ToArray();
    }

    public IReadOnlyList<FeatureDimension> Dimensions { get; }

    public int Columns { get; }

    /// <summary>
    /// The feature of a parameter that the point's other values leave out (<see cref="SearchSpace.Conditions"/>): the
    /// middle of its column, one-hot columns all zero. Why a constant: the objective does not depend on the parameter
    /// there, so every such point must look the same in its columns (the GP then correlates them fully there, as the
    /// objective does), and a proposal's inactive columns are projected onto it before the acquisition scores it
    /// (<see cref="Project"/>), so the optimizer is not led by columns the trial drops. Why the middle: its distance to
    /// any value of the active branch is at most half the column, so no extreme value is set apart from the inactive
    /// branch's trials more than another. Optuna's GPSampler has no such case: it searches only the parameters every
    /// trial has (its intersection search space), which would drop conv2..conv4 from a study that searches
    /// <c>conv_layers</c>.
    /// </summary>
    internal const double InactiveFeature = 0.5;

    /// <summary>
    /// True when <paramref name="values"/> holds a value inside the distribution of every parameter active given them
    /// (every parameter, in a space with no condition). A value of an inactive one is ignored: a study stored before
    /// trials left them out has them on every trial.
    /// </summary>
    public bool Covers(IReadOnlyDictionary<string, double> values) =>
        Space.Parameters.All(p => values.TryGetValue(p.Key, out var v) ? p.Value.Contains(v) || !IsActive(p.Key, values) : !IsActive(p.Key, values));

    private bool IsActive(string name, IReadOnlyDictionary<string, double> values) => !Space.IsConditional || Space.IsActive(name, values);

    public double[] Encode(IReadOnlyDictionary<string, double> values)
    {
        var features = new double[Columns];
        for (var p = 0; p < _mappings.Length; p++)
        {
            if (!IsActive(_mappings[p].Name, values))
            {
                SetInactive(features, p);
                continue;
            }
            SetValue(features, p, values[_mappings[p].Name]);
        }
        return features;
    }

    /// <summary>
    /// Sets the columns of each given parameter (<see cref="SearchSpace.Given"/>) to its encoded value, and those of each
    /// parameter inactive at <paramref name="features"/> (its decoded values overlaid with the given ones) to the
    /// <see cref="InactiveFeature"/>, marking both in <paramref name="fixedColumns"/>: the acquisition then optimises the
    /// other parameters conditioned on the given ones (an enqueued parent's children for that parent). Null in a space
    /// with no condition.
    /// </summary>
    public FeatureProjection? Projection => Space.IsConditional ? Project : null;

    private void Project(Span<double> features, Span<bool> fixedColumns)
    {
        var values = Space.WithGiven(Decode(features));
        for (var p = 0; p < _mappings.Length; p++)
        {
            if (Space.Given.TryGetValue(_mappings[p].Name, out var given)) SetValue(features, p, given);
            else if (Space.IsActive(_mappings[p].Name, values)) continue;
            else SetInactive(features, p);
            fixedColumns.Slice(Dimensions[p].Column, Dimensions[p].Width).Fill(true);
        }
    }

    private void SetValue(Span<double> features, int p, double value)
    {
        if (Dimensions[p].Kind == FeatureKind.Categorical) Dimensions[p].SetChoice(features, (int)Math.Round(value));
        else features[Dimensions[p].Column] = _mappings[p].Encode(value);
    }

    private void SetInactive(Span<double> features, int p)
    {
        if (Dimensions[p].Kind == FeatureKind.Categorical) features.Slice(Dimensions[p].Column, Dimensions[p].Width).Clear();
        else features[Dimensions[p].Column] = InactiveFeature;
    }

    public Dictionary<string, double> Decode(ReadOnlySpan<double> features)
    {
        var values = new Dictionary<string, double>(_mappings.Length);
        for (var p = 0; p < _mappings.Length; p++)
        {
            values[_mappings[p].Name] = Dimensions[p].Kind == FeatureKind.Categorical
                ? Dimensions[p].GetChoice(features)
                : _mappings[p].Decode(features[Dimensions[p].Column]);
        }
        return values;
    }

    /// <summary>Internal values from one uniform draw in [0, 1) per parameter (in declaration order).</summary>
    public Dictionary<string, double> FromUniform(ReadOnlySpan<double> u)
    {
        var values = new Dictionary<string, double>(_mappings.Length);
        for (var p = 0; p < _mappings.Length; p++)
        {
            values[_mappings[p].Name] = _mappings[p].Distribution is CategoricalDistribution c
                ? Math.Min((int)(u[p] * c.Choices.Count), c.Choices.Count - 1)
                : _mappings[p].Decode(u[p]);
        }
        return values;
    }

    /// <summary>
    /// One numeric parameter's affine map between (possibly log) value and [0, 1]; for an ordered categorical,
    /// between choice index and its <see cref="Ordinal"/> position.
    /// </summary>
    private sealed record Mapping(string Name, ParameterDistribution Distribution, bool Log, double Low, double High, double Step, double Lo, double Hi, double[]? Ordinal = null)
    {
        /// <summary>Number of allowed values of a discrete parameter, null for continuous ones.</summary>
        /// <summary>
        /// Number of allowed values of a discrete parameter, null for continuous ones. Counted in doubles: a count past
        /// long's range (a stepped float Optuna wrote, 0..1e10 by 1e-10) saturated the cast and the +1 wrapped it
        /// negative, which passed the grid-size test and left the GP an empty grid to index.
        /// </summary>
        public double? GridCount => Step > 0 ? Math.Floor((High - Low) / Step + 1e-9) + 1 : null;

        // The index stays a double: cast to long it saturated at 2^63, and every proposal was low + 2^63·step.
        public double GridValue(double k) => Math.Min(Low + k * Step, High);

        public static Mapping For(string name, ParameterDistribution distribution)
        {
            switch (distribution)
            {
                case IntDistribution i:
                    // Log ints: [low − ½, high + ½] in log space (low ≥ 1 by Optuna's rules), as Optuna does.
                    return i.Log
                        ? new Mapping(name, i, true, i.Low, i.High, i.Step, Math.Log(i.Low - 0.5), Math.Log(i.High + 0.5))
                        : new Mapping(name, i, false, i.Low, i.High, i.Step, i.Low - 0.5 * i.Step, i.High + 0.5 * i.Step);
                case FloatDistribution { Step: { } step } f:
                    return new Mapping(name, f, false, f.Low, f.High, step, f.Low - 0.5 * step, f.High + 0.5 * step);
                case FloatDistribution f:
                    return f.Log
                        ? new Mapping(name, f, true, f.Low, f.High, 0, Math.Log(f.Low), Math.Log(f.High))
                        : new Mapping(name, f, false, f.Low, f.High, 0, f.Low, f.High);
                case CategoricalDistribution c:
                    return new Mapping(name, c, false, 0, c.Choices.Count - 1, 1, 0, 1, OrdinalGrid(c));
                default:
                    throw new ArgumentException($"parameter '{name}': unsupported distribution {distribution.GetType().Name}");
            }
        }

        public double Encode(double value)
        {
            if (Ordinal is not null) return Ordinal[(int)Math.Round(value)];
            if (Hi <= Lo) return 0.5;
            var v = Log ? Math.Log(value) : value;
            return Math.Clamp((v - Lo) / (Hi - Lo), 0.0, 1.0);
        }

        public double Decode(double u)
        {
            if (Ordinal is not null) return Enumerable.Range(0, Ordinal.Length).MinBy(k => Math.Abs(Ordinal[k] - u));
            var v = Lo + Math.Clamp(u, 0.0, 1.0) * (Hi - Lo);
            if (Log) v = Math.Exp(v);
            // Past 2^53 grid points neighbouring indices are one double and k·step overflows to ∞ (1e300 by 1e-300):
            // such a grid (only Optuna writes one; search.json refuses it) is taken as continuous, not as one value.
            if (Step > 0 && GridCount <= 1L << 53)
            {
                var k = Math.Clamp(Math.Round((v - Low) / Step), 0, GridCount!.Value - 1);
                return GridValue(k);
            }
            return Math.Clamp(v, Low, High);
        }
    }
}
