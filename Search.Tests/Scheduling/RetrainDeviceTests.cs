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

        // Then it is the first slot with both threads (as far as this machine has cores): it runs alone
        Assert.Equal(new DeviceSlot("cpu:0", null, Math.Min(2, Environment.ProcessorCount)), device);
    }

    [Fact]
    public void TheRetrainGetsNoMoreThreadsThanTheMachineHasCores()
    {
        // Given more one-thread CPU slots than this machine has cores (cpu_slots above the cores, to run more trials at once)
        var slots = Enumerable.Range(0, Environment.ProcessorCount + 2).Select(i => new DeviceSlot($"cpu:{i}", null, 1)).ToList();

        // When the retrain's device is chosen
        var device = RetrainDevice.From(slots);

        // Then it gets one thread per core (it got one per slot: more torch threads than cores, which only slows it)
        Assert.Equal(new DeviceSlot("cpu:0", null, Environment.ProcessorCount), device);
    }

    [Fact]
    public void ASlotsOwnThreadsAreKeptEvenAboveTheCores()
    {
        // Given one CPU slot the user gave more threads than this machine has cores
        var slots = new[] { new DeviceSlot("cpu:0", null, Environment.ProcessorCount + 1) };

        // Then the retrain keeps them: the cap is on what the search adds, not on what was asked
        Assert.Equal(slots[0], RetrainDevice.From(slots));
    }

    [Fact]
    public void WhenTheFirstSlotIsAGpuThenTheRetrainRunsThereWithItsOwnThreads()
    {
        var slots = new[] { new DeviceSlot("cuda:0/0", 0, 4), new DeviceSlot("cuda:0/1", 0, 4) };
        Assert.Equal(slots[0], RetrainDevice.From(slots));
    }
}
