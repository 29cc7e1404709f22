using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Native;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Native;

[Collection(LibTorchSwitchesCollection.Name)]
public sealed class LibTorchFlagsTests
{
    [Fact]
    public void WhenOneDnnIsSwitchedThenLibTorchReportsTheNewSetting()
    {
        // Given libtorch loaded
        torch.InitializeDeviceType(DeviceType.CPU);
        bool? before = LibTorchFlags.MkldnnEnabled();
        Assert.NotNull(before);
        try
        {
            // When / Then
            Assert.True(LibTorchFlags.TrySetMkldnnEnabled(true));
            Assert.True(LibTorchFlags.MkldnnEnabled());
            Assert.True(LibTorchFlags.TrySetMkldnnEnabled(false));
            Assert.False(LibTorchFlags.MkldnnEnabled());
        }
        finally
        {
            LibTorchFlags.TrySetMkldnnEnabled(before!.Value);
        }
    }

    [Fact]
    public void WhenCpuKernelsAreConfiguredThenOneDnnAndNnpackAreOff()
    {
        // Given
        torch.InitializeDeviceType(DeviceType.CPU);
        Assert.Null(Environment.GetEnvironmentVariable(LibTorchFlags.OneDnnVariable));

        // When
        bool oneDnn = LibTorchFlags.ConfigureCpuKernels();

        // Then
        Assert.False(oneDnn);
        Assert.False(LibTorchFlags.MkldnnEnabled());
        Assert.False(LibTorchFlags.NnpackEnabled());
    }

    [Fact]
    public void WhenATrainerIsBuiltThenOneDnnIsOffWhateverWasSetBefore()
    {
        // Given oneDNN switched on (libtorch's own default, before anything configured it)
        torch.InitializeDeviceType(DeviceType.CPU);
        using var train = SyntheticDigits.Split(32, seed: 1);
        var hp = new Hyperparameters { Conv1Channels = 4, Conv2Channels = 8, FcWidth = 16, BatchSize = 32 };
        using var model = new CnnModel(hp);
        Assert.True(LibTorchFlags.TrySetMkldnnEnabled(true));
        try
        {
            // When a trainer is built outside the worker
            using var trainer = new Trainer(model, train, hp, epochs: 1, seed: 1, background: -0.4242);

            // Then it trains on the worker's kernels
            Assert.False(LibTorchFlags.MkldnnEnabled());
            Assert.False(LibTorchFlags.NnpackEnabled());
        }
        finally
        {
            LibTorchFlags.ConfigureCpuKernels();
        }
    }
}
