// oneDNN benchmark: does libtorch's oneDNN compute the worker's convolutions right on this machine, and how much faster
// would it be? The worker keeps oneDNN off by default and, when asked for it (MNIST_SEARCH_ONEDNN=1), uses it only where
// OneDnnCheck accepts the very network it trains; this prints the evidence behind both, per oneDNN instruction set.
using System.Diagnostics;
using Mnist.Search.Bench;
using Mnist.Trials.Model;
using Mnist.Trials.Native;
using Mnist.Trials.Protocol;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

const string Usage = """
    Usage: dotnet run -c Release --project bench/onednn [-- --isa LIST] [--reps N] [--threads N]

    Whether libtorch's oneDNN computes the worker's convolutions right on this machine, and how fast. For each oneDNN
    instruction set in LIST (comma-separated from default, AVX512_CORE, AVX2, SSE41; default "default,AVX2,SSE41";
    each in a child process with ONEDNN_MAX_CPU_ISA set) and each convolution shape (channel counts on and off the
    SIMD width, as the search space draws them) it prints the largest error of the output, the input gradient and
    the weight gradient relative to float64 (libtorch's own kernels, which the worker trains on, as "own"), whether
    a pass with c10's junk fill on read memory it never wrote (NaN), and one forward + backward's time (median of N,
    default 10, 1..1000) against libtorch's own kernels in the same process, on THREADS threads (default 1, a
    default study's slot). Then OneDnnCheck, the worker's guard, on two networks: accepted, or refused and why.
    """;
var cli = new BenchArgs("bench/onednn", Usage, args, valued: ["--isa", "--reps", "--threads", "--child"], flags: []);
string[] isas = cli.List("--isa", "default,AVX2,SSE41", "default", "AVX512_CORE", "AVX2", "SSE41");
int reps = cli.Int("--reps", 10, min: 1, max: 1000);
int threads = cli.Int("--threads", 1, min: 1, max: 256);

if (cli.Str("--child") is { } child)
{
    Child.Run(child, reps, threads);
    return 0;
}

Console.WriteLine($"{"isa",-12} {"shape",-22} {"kernels",-7} {"output",8} {"in-grad",8} {"w-grad",8} {"unwritten",9} {"ms",8} {"vs own",7}");
foreach (var isa in isas)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    foreach (var a in new[] { "--child", isa, "--reps", reps.ToString(), "--threads", threads.ToString() }) start.ArgumentList.Add(a);
    if (isa != "default") start.Environment["ONEDNN_MAX_CPU_ISA"] = isa;
    using var process = Process.Start(start)!;
    process.WaitForExit();
    if (process.ExitCode != 0) cli.Fail($"the child for --isa {isa} exited {process.ExitCode}");
}
Console.WriteLine();
Console.WriteLine("Errors are relative to the largest magnitude of the float64 result; kernels that only sum in another order stay");
Console.WriteLine($"near 1e-6. OneDnnCheck refuses oneDNN beyond {OneDnnCheck.Tolerance:0.##%} or on any NaN. 'unwritten': the junk-filled pass gave NaN.");
return 0;

static class Child
{
    private static readonly (int Batch, int In, int Out, int Side)[] Shapes =
    [
        (64, 1, 11, 28), (64, 11, 78, 14), (128, 11, 22, 14), (128, 22, 45, 7), (64, 8, 24, 14), (64, 16, 80, 14), (128, 32, 64, 7),
    ];

    public static void Run(string isa, int reps, int threads)
    {
        torch.set_num_threads(threads);
        LibTorchFlags.ConfigureCpuKernels();
        foreach (var (batch, inChannels, outChannels, side) in Shapes)
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator(7);
            var x = randn([batch, inChannels, side, side], generator: generator);
            var w = randn([outChannels, inChannels, 3, 3], generator: generator).mul_(Scalars.Tenth);
            var b = randn([outChannels], generator: generator);
            var g = randn([batch, outChannels, side, side], generator: generator);
            var exact = Convolve(x.to_type(ScalarType.Float64), w.to_type(ScalarType.Float64), b.to_type(ScalarType.Float64), g.to_type(ScalarType.Float64));
            string shape = $"{batch}x{inChannels}->{outChannels} {side}x{side}";
            LibTorchFlags.TrySetMkldnnEnabled(false);
            double own = Milliseconds(x, w, b, g, reps);
            if (isa == "default") Row(isa, shape, "own", Convolve(x, w, b, g), exact, Unwritten(x, w, b, g), own, own);
            LibTorchFlags.TrySetMkldnnEnabled(true);
            var result = Convolve(x, w, b, g);
            bool unwritten = Unwritten(x, w, b, g);
            double ms = Milliseconds(x, w, b, g, reps);
            LibTorchFlags.TrySetMkldnnEnabled(false);
            Row(isa, shape, "oneDNN", result, exact, unwritten, ms, own);
        }
        var middle = new Hyperparameters
        {
            ConvLayers = 3, Conv1Channels = 11, Conv2Channels = 22, Conv3Channels = 45, BatchNorm = true, FcWidth = 91, Dropout = 0.25,
        };
        var aligned = middle with { Conv1Channels = 16, Conv2Channels = 32, Conv3Channels = 64, FcWidth = 96 };
        foreach (var (name, hp) in new[] { ("conv 11/22/45 (the default space's middle)", middle), ("conv 16/32/64", aligned) })
        {
            string? why = OneDnnCheck.Compare(() => new CnnModel(hp), [1, 28, 28], 10, [128, 64, 1], []);
            Console.WriteLine($"{isa,-12} OneDnnCheck, {name}: {(why is null ? "accepted" : "refused: " + why)}");
        }
    }

    private static (Tensor Y, Tensor Gx, Tensor Gw) Convolve(Tensor x, Tensor w, Tensor b, Tensor g)
    {
        var xi = x.detach().requires_grad_(true);
        var wi = w.detach().requires_grad_(true);
        var y = F.conv2d(xi, wi, b, padding: [1, 1]);
        y.backward([g]);
        return (y.detach(), xi.grad!, wi.grad!);
    }

    private static bool Unwritten(Tensor x, Tensor w, Tensor b, Tensor g)
    {
        using var scope = NewDisposeScope();
        LibTorchFlags.TrySetJunkFill(true);
        try
        {
            var (y, gx, gw) = Convolve(x, w, b, g);
            return !(isfinite(y).all().item<bool>() && isfinite(gx).all().item<bool>() && isfinite(gw).all().item<bool>());
        }
        finally { LibTorchFlags.TrySetJunkFill(false); }
    }

    private static double Milliseconds(Tensor x, Tensor w, Tensor b, Tensor g, int reps)
    {
        var times = new List<double>();
        for (int i = 0; i <= reps; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            Convolve(x, w, b, g);
            if (i > 0) times.Add(clock.Elapsed.TotalMilliseconds); // the first builds oneDNN's primitives
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static void Row(string isa, string shape, string kernels, (Tensor Y, Tensor Gx, Tensor Gw) r,
        (Tensor Y, Tensor Gx, Tensor Gw) exact, bool unwritten, double ms, double own) =>
        Console.WriteLine($"{isa,-12} {shape,-22} {kernels,-7} {Error(r.Y, exact.Y),8} {Error(r.Gx, exact.Gx),8} {Error(r.Gw, exact.Gw),8} " +
            $"{(unwritten ? "NaN" : "-"),9} {ms,8:F2} {own / ms,6:F2}x");

    private static string Error(Tensor single, Tensor exact)
    {
        if (!isfinite(single).all().item<bool>()) return "NaN";
        double scale = exact.abs().max().item<double>();
        double worst = single.to_type(ScalarType.Float64).sub(exact).abs().max().item<double>();
        return (worst / scale).ToString("E1");
    }

    private static class Scalars
    {
        public static readonly Scalar Tenth = 0.1.ToScalar();
    }
}
