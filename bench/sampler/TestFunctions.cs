using Mnist.Protocol.Hyperparameters;
using Mnist.Search.Space;

namespace Mnist.Search.Bench.Sampler;

/// <summary>
/// A benchmark objective (minimized) with its known global minimum. <see cref="NoiseSd"/> &gt; 0 makes the
/// sampler see <see cref="Evaluate"/> plus Gaussian noise, while regret is scored on the noise-free value.
/// </summary>
internal sealed record TestFunction(string Name, SearchSpace Space, Func<IReadOnlyDictionary<string, double>, double> Evaluate, double Minimum, double NoiseSd = 0)
{
    public TestFunction WithNoise(double sd) => this with { Name = $"{Name}+noise", NoiseSd = sd };

    /// <summary>
    /// Mixed integer / log / categorical space shaped like the product's CNN space, valued like an error rate:
    /// smooth in log learning rate (optimum moves with the optimizer), a best batch size, diminishing returns in
    /// width, and a kernel-size choice; rates above 10^-1.8 (adam) or 10^-1.2 (sgd) diverge (0.9). Minimum 0.008 at adam, lr 10^-2.7, batch 96, 3 conv layers, dropout 0.2,
    /// width 512, kernel 5.
    /// </summary>
    public static TestFunction CnnLike { get; } = new(
        "CNN-like",
        new SearchSpace([
            new("conv_layers", new IntDistribution(1, 4)),
            new("fc_width", new IntDistribution(32, 512, Log: true)),
            new("kernel_size", new CategoricalDistribution([3L, 5L, 7L])),
            new("dropout", new FloatDistribution(0, 0.5)),
            new("optimizer", new CategoricalDistribution(["adam", "sgd"])),
            new("learning_rate", new FloatDistribution(1e-4, 1e-1, Log: true)),
            new("batch_size", new IntDistribution(32, 256, Step: 32)),
        ]),
        p =>
        {
            var sgd = p["optimizer"] == 1;
            // Too high a rate diverges (chance level), as real training does: a heavy tail for the GP to cope with.
            if (Math.Log10(p["learning_rate"]) > (sgd ? -1.2 : -1.8)) return 0.9;
            var lr = Math.Log10(p["learning_rate"]) - (sgd ? -1.5 : -2.7);
            var batch = (p["batch_size"] - 96) / 128;
            var layers = p["conv_layers"] - 3;
            var kernel = p["kernel_size"] switch { 0 => 0.002, 1 => 0.0, _ => 0.004 };
            return 0.008 + 0.01 * lr * lr + (sgd ? 0.003 : 0) + 0.004 * batch * batch + 0.002 * layers * layers
                + 0.02 * Math.Pow(p["dropout"] - 0.2, 2) + 0.004 * (Math.Log(512) - Math.Log(p["fc_width"])) / Math.Log(16) + kernel;
        },
        0.008);

    /// <summary>
    /// A conditional space (<see cref="SearchSpace.Conditions"/>), shaped like <c>optimizer</c> with <c>momentum</c> or
    /// <c>conv_layers</c> with the channels: <c>branch</c> a or b chooses which dimensions matter, <c>a1</c>, <c>a2</c>
    /// (read when a) or <c>b1</c>..<c>b3</c> (when b), and <c>x</c> matters always. Branch a is easy but no better than
    /// 0.3; b reaches 0 at (0.2, 0.8, 0.5), x = 0.6, in a narrower bowl. A trial stores only its branch's dimensions.
    /// </summary>
    public static TestFunction Conditional { get; } = new(
        "Conditional",
        new SearchSpace([
            new("branch", new CategoricalDistribution(["a", "b"])),
            new("x", new FloatDistribution(0, 1)),
            new("a1", new FloatDistribution(0, 1)),
            new("a2", new FloatDistribution(0, 1)),
            new("b1", new FloatDistribution(0, 1)),
            new("b2", new FloatDistribution(0, 1)),
            new("b3", new FloatDistribution(0, 1)),
        ])
        {
            Conditions = new Dictionary<string, UsedWhen>
            {
                ["a1"] = new("branch", Is: "a"), ["a2"] = new("branch", Is: "a"),
                ["b1"] = new("branch", Is: "b"), ["b2"] = new("branch", Is: "b"), ["b3"] = new("branch", Is: "b"),
            },
        },
        p =>
        {
            var shared = Math.Pow(p["x"] - 0.6, 2);
            return p["branch"] == 0
                ? 0.3 + shared + Math.Pow(p["a1"] - 0.3, 2) + Math.Pow(p["a2"] - 0.7, 2)
                : shared + 3 * (Math.Pow(p["b1"] - 0.2, 2) + Math.Pow(p["b2"] - 0.8, 2) + Math.Pow(p["b3"] - 0.5, 2));
        },
        0.0);

    /// <summary>
    /// The same function with the space's conditions removed: every dimension sampled on every trial, as this project
    /// did before conditional spaces (the objective still reads only its branch's).
    /// </summary>
    public TestFunction Flat() => this with { Name = $"{Name}(flat)", Space = Space with { Conditions = new Dictionary<string, UsedWhen>() } };

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
