using Mnist.Search.Space;

namespace Mnist.Search.Bench.Sampler;

/// <summary>A benchmark objective (minimized) with its known global minimum.</summary>
internal sealed record TestFunction(string Name, SearchSpace Space, Func<IReadOnlyDictionary<string, double>, double> Evaluate, double Minimum)
{
    public static TestFunction Branin { get; } = new(
        "Branin",
        new SearchSpace([new("x1", new FloatDistribution(-5, 10)), new("x2", new FloatDistribution(0, 15))]),
        p =>
        {
            double x1 = p["x1"], x2 = p["x2"];
            const double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
            var u = x2 - b * x1 * x1 + c * x1 - 6;
            return u * u + 10 * (1 - t) * Math.Cos(x1) + 10;
        },
        0.39788735772973816);

    private static readonly double[] Alpha = [1.0, 1.2, 3.0, 3.2];
    private static readonly double[,] A =
    {
        { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 },
    };
    private static readonly double[,] P =
    {
        { 1312, 1696, 5569, 124, 8283, 5886 }, { 2329, 4135, 8307, 3736, 1004, 9991 },
        { 2348, 1451, 3522, 2883, 3047, 6650 }, { 4047, 8828, 8732, 5743, 1091, 381 },
    };

    public static TestFunction Hartmann6 { get; } = new(
        "Hartmann-6",
        new SearchSpace(Enumerable.Range(0, 6).Select(i => new KeyValuePair<string, ParameterDistribution>($"x{i}", new FloatDistribution(0, 1))).ToList()),
        p =>
        {
            var sum = 0.0;
            for (var i = 0; i < 4; i++)
            {
                var inner = 0.0;
                for (var j = 0; j < 6; j++)
                {
                    var d = p[$"x{j}"] - P[i, j] * 1e-4;
                    inner += A[i, j] * d * d;
                }
                sum += Alpha[i] * Math.Exp(-inner);
            }
            return -sum;
        },
        -3.3223680114155147);
}
