using Mnist.Trials.Native;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Native;

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
}
