using Mnist.Search.Scheduling;

namespace Mnist.Search.Tests.Scheduling;

public sealed class RetrainDeviceTests
{
    [Fact]
    public void WhenTrialsShareTheCpuInOneThreadSlotsThenTheRetrainGetsAllTheirThreads()
    {
        // Given two CPU slots of one thread each (the default study on two cores)
        var slots = new[] { new DeviceSlot("cpu:0", null, 1), new DeviceSlot("cpu:1", null, 1) };

        // When the retrain's device is chosen
        var device = RetrainDevice.From(slots);

        // Then it is the first slot with both threads: it runs alone
        Assert.Equal(new DeviceSlot("cpu:0", null, 2), device);
    }

    [Fact]
    public void WhenTheFirstSlotIsAGpuThenTheRetrainRunsThereWithItsOwnThreads()
    {
        var slots = new[] { new DeviceSlot("cuda:0/0", 0, 4), new DeviceSlot("cuda:0/1", 0, 4) };
        Assert.Equal(slots[0], RetrainDevice.From(slots));
    }
}
