using System.Text.Json.Nodes;
using Mnist.Protocol.Events;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Model;
using Mnist.Trials.Native;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Search.Tests.Trials.Native;

/// <summary>
/// The worker's check of libtorch's oneDNN kernels on the network it runs. In the switches' collection: it turns oneDNN
/// on and back, process-wide, and sets the variable that asks for it.
/// </summary>
[Collection(LibTorchSwitchesCollection.Name)]
public sealed class OneDnnCheckTests : IDisposable
{
    private readonly TempDir dir = new();

    public OneDnnCheckTests() => torch.InitializeDeviceType(DeviceType.CPU);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(LibTorchFlags.OneDnnVariable, null);
        LibTorchFlags.ForgetOneDnnVerdict();
        LibTorchFlags.ConfigureCpuKernels();
        dir.Dispose();
    }

    /// <summary>Adds to its input what a tensor it never wrote holds, times zero: nothing, unless that memory reads as NaN.</summary>
    private sealed class ReadsUnwrittenMemory() : nn.Module<Tensor, Tensor>(nameof(ReadsUnwrittenMemory))
    {
        public override Tensor forward(Tensor input) => input.flatten(1).narrow(1, 0, 10).add(empty(input.shape[0], 10).mul(Zero), HeldScalars.One);

        private static readonly Scalar Zero = 0.0.ToScalar();
    }

    /// <summary>Answers differently when oneDNN is on: a stand-in for a kernel that computes wrong.</summary>
    private sealed class DiffersOnOneDnn() : nn.Module<Tensor, Tensor>(nameof(DiffersOnOneDnn))
    {
        public override Tensor forward(Tensor input) =>
            input.flatten(1).narrow(1, 0, 10).mul(LibTorchFlags.MkldnnEnabled() == true ? Two : HeldScalars.One);

        private static readonly Scalar Two = 2.0.ToScalar();
    }

    /// <summary>Dropout and no convolution: the same computation on both passes, the same masks only if the check seeds them alike.</summary>
    private static nn.Module<Tensor, Tensor> Agrees() =>
        nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10));

    [Fact]
    public void WhenANetworkReadsMemoryItNeverWroteThenTheCheckSaysItsOutputIsNaNOnOneDnn()
    {
        string? why = OneDnnCheck.Compare(() => new ReadsUnwrittenMemory(), [1, 28, 28], 10, [], [4]);

        // The junk fill turned the unwritten memory into NaN on oneDNN's pass only (the reference's reads zeros)
        Assert.Equal("the inference output holds NaN or infinite values on oneDNN (none on libtorch's own kernels) at batch size 4", why);
        Assert.False(LibTorchFlags.MkldnnEnabled());
    }

    [Fact]
    public void WhenOneDnnComputesADifferentOutputThenTheCheckNamesItAndHowFarOff()
    {
        string? why = OneDnnCheck.Compare(() => new DiffersOnOneDnn(), [1, 28, 28], 10, [], [0, 3, 3]);

        Assert.Equal("the inference output differs by 100 % of its largest value between oneDNN and libtorch's own kernels at batch size 3", why);
    }

    [Fact]
    public void WhenBothPassesAgreeThenTheCheckPassesAndLeavesTheRandomGeneratorAsItWas()
    {
        torch.manual_seed(5);
        using var expected = torch.rand(3);
        torch.manual_seed(5);

        string? why = OneDnnCheck.Compare(Agrees, [1, 28, 28], 10, [7, 32], [5]);

        Assert.Null(why);
        Assert.False(LibTorchFlags.MkldnnEnabled());
        using var drawn = torch.rand(3);
        Assert.True(drawn.eq(expected).all().item<bool>());
    }

    [Fact]
    public void WithNoBatchSizeToCheckAtTheCheckRefuses()
    {
        Assert.Equal("it cannot be checked: no batch size to check it at", OneDnnCheck.Compare(Agrees, [1, 28, 28], 10, [0], []));
    }

    [Fact]
    public void WhenOneDnnIsAskedForThenOnlyANetworkTheCheckAcceptedGetsItAndARefusalIsFinal()
    {
        // Given oneDNN asked for, nothing checked yet
        Environment.SetEnvironmentVariable(LibTorchFlags.OneDnnVariable, "1");
        LibTorchFlags.ForgetOneDnnVerdict();

        // Then a trainer's configuration (unchecked) keeps it off
        Assert.False(LibTorchFlags.ConfigureCpuKernels());
        Assert.False(LibTorchFlags.MkldnnEnabled());

        // When a network is accepted, it is on
        Assert.Equal((true, null), OneDnnCheck.ConfigureCheckedCpuKernels(Agrees, [1, 28, 28], 10, [8], [], TextWriter.Null));
        Assert.True(LibTorchFlags.MkldnnEnabled());
        Assert.True(LibTorchFlags.ConfigureCpuKernels());

        // When one is refused, it is off, and stays off with its reason even for a network that would pass
        var refused = OneDnnCheck.ConfigureCheckedCpuKernels(() => new DiffersOnOneDnn(), [1, 28, 28], 10, [], [2], TextWriter.Null);
        Assert.False(refused.OneDnn);
        Assert.StartsWith("the inference output differs by 100 %", refused.Refused);
        Assert.False(LibTorchFlags.ConfigureCpuKernels());
        Assert.Equal((false, refused.Refused), OneDnnCheck.ConfigureCheckedCpuKernels(Agrees, [1, 28, 28], 10, [8], [], TextWriter.Null));
        Assert.False(LibTorchFlags.MkldnnEnabled());
    }

    [Fact]
    public void WhenTheCheckItselfFailsThenOneDnnIsRefusedWithTheReason()
    {
        Environment.SetEnvironmentVariable(LibTorchFlags.OneDnnVariable, "1");
        LibTorchFlags.ForgetOneDnnVerdict();

        var (oneDnn, why) = OneDnnCheck.ConfigureCheckedCpuKernels(
            () => throw new InvalidOperationException("no network\nhere"), [1, 28, 28], 10, [8], [], TextWriter.Null);

        Assert.False(oneDnn);
        Assert.Equal("the check itself failed (InvalidOperationException: no network here)", why);
        Assert.False(LibTorchFlags.MkldnnEnabled());
    }

    [Fact]
    public void TheCheckRefusesOneDnnForTheWorkersNetworkExactlyWhenOneDnnGetsItsConvolutionWrong()
    {
        // Given conv 11/78 and whether oneDNN computes that convolution and its input gradient as libtorch's own kernels
        // do, found here without the check but on the same terms (oneDNN on junk-filled memory, libtorch's on zeroed);
        // on this machine it does not (bench/onednn)
        bool oneDnnRight;
        using (NewDisposeScope())
        {
            using var generator = new Generator(3);
            var x = randn([64, 11, 14, 14], generator: generator);
            var w = randn([78, 11, 3, 3], generator: generator);
            var b = randn([78], generator: generator);
            var g = randn([64, 78, 14, 14], generator: generator);
            try
            {
                Assert.True(LibTorchFlags.TrySetMkldnnEnabled(true) && LibTorchFlags.TrySetJunkFill(true));
                var oneDnn = Convolve(x, w, b, g);
                Assert.True(LibTorchFlags.TrySetMkldnnEnabled(false) && LibTorchFlags.TrySetJunkFill(false) && LibTorchFlags.TrySetZeroFill(true));
                var own = Convolve(x, w, b, g);
                oneDnnRight = Close(own.Y, oneDnn.Y) && Close(own.Gx, oneDnn.Gx) && Close(own.Gw, oneDnn.Gw);
            }
            finally
            {
                LibTorchFlags.TrySetJunkFill(false);
                LibTorchFlags.TrySetZeroFill(false);
                LibTorchFlags.ConfigureCpuKernels();
            }
        }
        var hp = new Hyperparameters { Conv1Channels = 11, Conv2Channels = 78, FcWidth = 33, BatchSize = 64 };

        // When the worker's network is checked
        string? why = OneDnnCheck.Compare(() => new CnnModel(hp), [1, 28, 28], 10, [64], []);

        // Then
        if (oneDnnRight) Assert.Null(why);
        else Assert.Matches("^the (gradient of features\\.conv[12]\\.(weight|bias)|training output|inference output) (holds NaN|differs by)", why);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("SSE41")]
    public async Task WhenOneDnnIsAskedForThenTheWorkerUsesItExactlyWhenTheCheckAcceptsItsNetwork(string? maxIsa)
    {
        // Given conv 11/78 (BatchNorm, dropout) and oneDNN asked for: its AVX-512 / AVX2 convolutions get such channel
        // counts wrong on this machine (bench/onednn), held to SSE4.1 they are right
        string data = SyntheticDigits.WriteDataset(Path.Combine(dir.Path, "data"), trainCount: 400, testCount: 200, gzip: true);
        var hyperparameters = new JsonObject
        {
            ["conv1_channels"] = 11, ["conv2_channels"] = 78, ["fc_width"] = 33, ["batch_size"] = 64, ["learning_rate"] = 0.0015,
            ["batch_norm"] = true, ["dropout"] = 0.2,
        };
        string spec = Path.Combine(dir.Path, "spec.json");
        File.WriteAllText(spec, new JsonObject
        {
            ["hyperparameters"] = hyperparameters.DeepClone(), ["epochs"] = 3, ["seed"] = 1, ["data_dir"] = data,
            ["out_dir"] = Path.Combine(dir.Path, "out"), ["threads"] = 1, ["validation"] = 100,
        }.ToJsonString());
        var environment = new Dictionary<string, string> { [LibTorchFlags.OneDnnVariable] = "1" };
        if (maxIsa is not null) environment["ONEDNN_MAX_CPU_ISA"] = maxIsa;

        // When
        using var worker = WorkerRun.Start(environment, "run", "--spec", spec);
        int exit = await worker.WaitForExitAsync(TimeSpan.FromSeconds(90));

        // Then the run completes with finite losses, on oneDNN or, refused with a reason naming what differs, without it
        Assert.True(exit == 0, worker.Stderr);
        var start = worker.Events[0];
        var losses = worker.Events.Where(e => (string?)e["event"] == "epoch").Select(e => (double)e["train_loss"]!).ToList();
        Assert.Equal(3, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        bool used = (bool)start[EventFields.OneDnn]!;
        string? refused = (string?)start[EventFields.OneDnnRefused];
        if (used)
        {
            Assert.Null(refused);
            Assert.DoesNotContain("oneDNN is not used", worker.Stderr);
        }
        else
        {
            Assert.Matches("^the (gradient of|training output|inference output).* at batch size [0-9]+$", refused);
            Assert.Contains($"{LibTorchFlags.OneDnnVariable}=1 but oneDNN is not used: {refused}", worker.Stderr);
        }
        if (maxIsa == "SSE41")
        {
            Assert.True(used, refused);
        }
        else
        {
            // and its verdict is the check's on this network here, at the batch sizes the trial runs (one thread, as it ran)
            var hp = new Hyperparameters
            {
                Conv1Channels = 11, Conv2Channels = 78, FcWidth = 33, BatchSize = 64, LearningRate = 0.0015, BatchNorm = true, Dropout = 0.2,
            };
            int threads = torch.get_num_threads();
            torch.set_num_threads(1);
            try
            {
                // 300 training images in batches of 64, BatchNorm re-estimated on them in 256s, 100 validation images in 64s
                string? expected = OneDnnCheck.Compare(() => new CnnModel(hp), [1, 28, 28], 10,
                    TrialRunner.BatchSizes(64, 300), TrialRunner.BatchSizes(64, 100), TrialRunner.BatchSizes(256, 300));
                Assert.Equal(expected is null, used);
            }
            finally { torch.set_num_threads(threads); }
        }
    }

    [Theory]
    [InlineData(64, 11, 78, 14)]
    [InlineData(128, 22, 45, 7)]
    [InlineData(64, 8, 24, 14)]
    [InlineData(64, 1, 11, 28)]
    public void TheWorkersKernelsComputeConvolutionsRightAndReadOnlyWhatTheyWrote(int batch, int inChannels, int outChannels, int side)
    {
        // Given the worker's kernels, every new CPU tensor filled with NaN junk, and channel counts off the SIMD width
        // (oneDNN's AVX2 / AVX-512 kernels get these wrong on this machine: bench/onednn)
        LibTorchFlags.ConfigureCpuKernels();
        Assert.False(LibTorchFlags.MkldnnEnabled());
        using var scope = NewDisposeScope();
        using var generator = new Generator(7);
        var x = randn([batch, inChannels, side, side], generator: generator);
        var w = randn([outChannels, inChannels, 3, 3], generator: generator);
        var b = randn([outChannels], generator: generator);
        var g = randn([batch, outChannels, side, side], generator: generator);
        Assert.True(LibTorchFlags.TrySetJunkFill(true));
        (Tensor Y, Tensor Gx, Tensor Gw) single;
        try { single = Convolve(x, w, b, g); }
        finally { LibTorchFlags.TrySetJunkFill(false); }

        // When the same is computed in float64
        var exact = Convolve(x.to_type(ScalarType.Float64), w.to_type(ScalarType.Float64), b.to_type(ScalarType.Float64), g.to_type(ScalarType.Float64));

        // Then output and both gradients agree to float precision
        AssertClose(exact.Y, single.Y, "output");
        AssertClose(exact.Gx, single.Gx, "input gradient");
        AssertClose(exact.Gw, single.Gw, "weight gradient");
    }

    private static (Tensor Y, Tensor Gx, Tensor Gw) Convolve(Tensor x, Tensor w, Tensor b, Tensor g)
    {
        var xi = x.detach().requires_grad_(true);
        var wi = w.detach().requires_grad_(true);
        var y = F.conv2d(xi, wi, b, padding: [1, 1]);
        y.backward([g]);
        return (y.detach(), xi.grad!, wi.grad!);
    }

    private static bool Close(Tensor expected, Tensor actual) =>
        isfinite(actual).all().item<bool>() &&
        actual.sub(expected).abs().max().item<float>() <= 1e-3 * expected.abs().max().item<float>();

    private static void AssertClose(Tensor exact, Tensor single, string what)
    {
        Assert.True(isfinite(single).all().item<bool>(), $"{what}: NaN or infinite values");
        double scale = exact.abs().max().item<double>();
        double worst = single.to_type(ScalarType.Float64).sub(exact).abs().max().item<double>();
        Assert.True(worst <= 1e-4 * scale, $"{what}: off by {worst / scale:E1} of its largest value");
    }
}
