using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Model;
using Mnist.Trials.Native;
using Mnist.Trials.Protocol;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Search.Tests.Trials.Native;

[Collection(LibTorchSwitchesCollection.Name)]
public sealed class OneDnnCheckTests
{
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

    [Fact]
    public void WhenANetworkReadsMemoryItNeverWroteThenTheCheckSaysItsOutputIsNaNOnOneDnn()
    {
        // Given libtorch loaded
        torch.InitializeDeviceType(DeviceType.CPU);

        // When
        string? why = OneDnnCheck.Compare(() => new ReadsUnwrittenMemory(), [1, 28, 28], 10, [4], training: false);

        // Then the junk fill turned the unwritten memory into NaN on oneDNN's pass only
        Assert.Equal("the inference output holds NaN or infinite values on oneDNN (none on libtorch's own kernels) at batch size 4", why);
        Assert.False(LibTorchFlags.MkldnnEnabled());
    }

    [Fact]
    public void WhenOneDnnComputesADifferentOutputThenTheCheckNamesItAndHowFarOff()
    {
        torch.InitializeDeviceType(DeviceType.CPU);

        string? why = OneDnnCheck.Compare(() => new DiffersOnOneDnn(), [1, 28, 28], 10, [0, 3, 3], training: false);

        Assert.NotNull(why);
        Assert.Matches("^the inference output differs by 100 % of its largest value between oneDNN and libtorch's own kernels at batch size 3$", why);
    }

    [Fact]
    public void WhenBothPassesAgreeThenTheCheckPassesAndLeavesTheRandomGeneratorAsItWas()
    {
        // Given a network with dropout (the same masks on both passes or the check fails) and no convolution
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.manual_seed(5);
        using var expected = torch.rand(3);
        torch.manual_seed(5);

        // When
        string? why = OneDnnCheck.Compare(
            () => nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10)),
            [1, 28, 28], 10, [7, 32], training: true);

        // Then
        Assert.Null(why);
        Assert.False(LibTorchFlags.MkldnnEnabled());
        using var drawn = torch.rand(3);
        Assert.True(drawn.eq(expected).all().item<bool>());
    }

    [Fact]
    public void TheCheckRefusesOneDnnForTheWorkersNetworkExactlyWhenOneDnnGetsItsConvolutionWrong()
    {
        // Given conv 11/78 and whether oneDNN computes that convolution and its input gradient as libtorch's own kernels
        // do, found here without the check (on this machine it does not: bench/onednn-probe)
        torch.InitializeDeviceType(DeviceType.CPU);
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
                Assert.True(LibTorchFlags.TrySetMkldnnEnabled(true));
                var oneDnn = Convolve(x, w, b, g);
                LibTorchFlags.TrySetMkldnnEnabled(false);
                var own = Convolve(x, w, b, g);
                oneDnnRight = Close(own.Y, oneDnn.Y) && Close(own.Gx, oneDnn.Gx) && Close(own.Gw, oneDnn.Gw);
            }
            finally { LibTorchFlags.ConfigureCpuKernels(); }
        }
        var hp = new Hyperparameters { Conv1Channels = 11, Conv2Channels = 78, FcWidth = 33, BatchSize = 64 };

        // When the worker's network is checked
        string? why = OneDnnCheck.Compare(() => new CnnModel(hp), [1, 28, 28], 10, [64], training: true);

        // Then
        if (oneDnnRight) Assert.Null(why);
        else Assert.Matches("^the (gradient of features\\.conv[12]\\.(weight|bias)|training output|inference output) (holds NaN|differs by)", why);
    }

    private static bool Close(Tensor expected, Tensor actual) =>
        isfinite(actual).all().item<bool>() &&
        actual.sub(expected).abs().max().item<float>() <= 1e-3 * expected.abs().max().item<float>();

    [Theory]
    [InlineData(64, 11, 78, 14)]
    [InlineData(128, 22, 45, 7)]
    [InlineData(64, 8, 24, 14)]
    [InlineData(64, 1, 11, 28)]
    public void TheWorkersKernelsComputeConvolutionsRightAndReadOnlyWhatTheyWrote(int batch, int inChannels, int outChannels, int side)
    {
        // Given the worker's kernels, every new CPU tensor filled with NaN junk, and channel counts off the SIMD width
        // (oneDNN's AVX2 / AVX-512 kernels get these wrong on this machine: bench/onednn-probe)
        torch.InitializeDeviceType(DeviceType.CPU);
        LibTorchFlags.ConfigureCpuKernels();
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

    private static void AssertClose(Tensor exact, Tensor single, string what)
    {
        Assert.True(isfinite(single).all().item<bool>(), $"{what}: NaN or infinite values");
        double scale = exact.abs().max().item<double>();
        double worst = (single.to_type(ScalarType.Float64).sub(exact)).abs().max().item<double>();
        Assert.True(worst <= 1e-4 * scale, $"{what}: off by {worst / scale:E1} of its largest value");
    }
}
