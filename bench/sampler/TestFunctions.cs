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
