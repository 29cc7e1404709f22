namespace Mnist.Search.Gp;

/// <summary>How one parameter occupies feature columns of the unit cube.</summary>
internal enum FeatureKind
{
    /// <summary>One column, any value in [0, 1].</summary>
    Continuous,

    /// <summary>One column restricted to <see cref="FeatureDimension.Grid"/> (ints, stepped floats).</summary>
    Discrete,

    /// <summary><see cref="FeatureDimension.Width"/> one-hot columns, one per choice.</summary>
    Categorical,
}

/// <summary>
/// One parameter's columns in the feature vector: <see cref="Column"/>..<see cref="Column"/>+<see cref="Width"/>−1.
/// <see cref="Grid"/> lists a discrete parameter's allowed column values in increasing order (null: too many
/// values to list; then it is treated as continuous and rounded when decoded).
/// </summary>
internal sealed record FeatureDimension(FeatureKind Kind, int Column, int Width, double[]? Grid = null)
{
    public static FeatureDimension Continuous(int column) => new(FeatureKind.Continuous, column, 1);

    public static FeatureDimension Discrete(int column, double[] grid) => new(FeatureKind.Discrete, column, 1, grid);

    public static FeatureDimension Categorical(int column, int choices) => new(FeatureKind.Categorical, column, choices);

    /// <summary>True when local search moves this parameter by gradient (continuous, or discrete without a listed grid).</summary>
    public bool IsSmooth => Kind == FeatureKind.Continuous || (Kind == FeatureKind.Discrete && Grid is null);

    /// <summary>Index of the grid value nearest to <paramref name="u"/>.</summary>
    public int NearestGridIndex(double u)
    {
        var grid = Grid!;
        var i = Array.BinarySearch(grid, u);
        if (i >= 0) return i;
        i = ~i;
        if (i == 0) return 0;
        if (i == grid.Length) return grid.Length - 1;
        return u - grid[i - 1] <= grid[i] - u ? i - 1 : i;
    }

    /// <summary>
    /// Writes the feature value(s) for a uniform draw <paramref name="u"/> ∈ [0, 1) into <paramref name="features"/>:
    /// continuous as is, discrete snapped to the grid, categorical one-hot of choice ⌊u·k⌋.
    /// </summary>
    public void FromUniform(double u, Span<double> features)
    {
        switch (Kind)
        {
            case FeatureKind.Continuous:
                features[Column] = u;
                break;
            case FeatureKind.Discrete:
                features[Column] = Grid is null ? u : Grid[NearestGridIndex(u)];
                break;
            default:
                SetChoice(features, Math.Min((int)(u * Width), Width - 1));
                break;
        }
    }

    /// <summary>One-hot encodes choice <paramref name="choice"/>.</summary>
    public void SetChoice(Span<double> features, int choice)
    {
        features.Slice(Column, Width).Clear();
        features[Column + choice] = 1.0;
    }

    /// <summary>The chosen category (largest one-hot column).</summary>
    public int GetChoice(ReadOnlySpan<double> features)
    {
        var best = 0;
        for (var c = 1; c < Width; c++)
            if (features[Column + c] > features[Column + best]) best = c;
        return best;
    }
}
