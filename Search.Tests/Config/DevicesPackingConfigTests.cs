using Mnist.Search.Config;
using Mnist.Search.Tests.Support.Config;

namespace Mnist.Search.Tests.Config;

/// <summary>The GPU packing form of <c>devices</c>: <c>{"gpus": ..., "trials_per_gpu": ...}</c> (issue 13).</summary>
public sealed class DevicesPackingConfigTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private DevicesConfig Load(string devices)
    {
        var path = _folder.Combine("search.json");
        File.WriteAllText(path, ConfigJson.Patch("devices", devices));
        return StudyConfigLoader.Load(path).Devices;
    }

    [Fact]
    public void WhenGpusAreAutoWithFourTrialsEachThenAutoDiscoveryPacksFour()
    {
        // When the example is loaded
        var devices = Load("""{"gpus": "auto", "trials_per_gpu": 4}""");

        // Then discovery is automatic and each GPU gets four trials of the default footprint
        Assert.Equal(DevicesMode.Auto, devices.Mode);
        Assert.Equal(new GpuPacking(4, GpuPacking.DefaultTrialMemoryMiB), devices.Packing);
    }

    [Fact]
    public void WhenTrialsPerGpuIsAutoWithListedGpusThenTheListAndFootprintAreKept()
    {
        // When GPUs are listed by index and the count is left to the footprint
        var devices = Load("""{"gpus": [0, 2], "trials_per_gpu": "auto", "trial_memory_mb": 3000, "threads_per_slot": 2}""");

        // Then the GPUs are cuda:N ids, the count is "auto" (null) and the footprint and threads are read
        Assert.Equal(DevicesMode.List, devices.Mode);
        Assert.Equal(["cuda:0", "cuda:2"], devices.Ids);
        Assert.Equal(new GpuPacking(null, 3000), devices.Packing);
        Assert.Equal(2, devices.ThreadsPerSlot);
    }

    [Fact]
    public void WhenOnlyGpusIsGivenThenThereIsOneTrialPerGpu()
    {
        var devices = Load("""{"gpus": "auto"}""");

        Assert.Equal(1, devices.Packing!.TrialsPerGpu);
    }

    [Theory]
    [InlineData("""{"gpus": "auto", "trials_per_gpu": 0}""", "$.devices.trials_per_gpu", "between 1 and 64, got 0")]
    [InlineData("""{"gpus": "auto", "trials_per_gpu": 65}""", "$.devices.trials_per_gpu", "between 1 and 64, got 65")]
    [InlineData("""{"gpus": "auto", "trials_per_gpu": "many"}""", "$.devices.trials_per_gpu", "expected one of \"auto\", got \"many\"")]
    [InlineData("""{"gpus": "auto", "trials_per_gpu": 2.5}""", "$.devices.trials_per_gpu", "expected an integer, got 2.5")]
    [InlineData("""{"gpus": "auto", "trials_per_gpu": true}""", "$.devices.trials_per_gpu", "expected \"auto\" or an integer between 1 and 64, got true")]
    [InlineData("""{"gpus": "all"}""", "$.devices.gpus", "expected \"auto\" or a list of GPU indices such as [0, 1], got \"all\"")]
    [InlineData("""{"gpus": [0, 0]}""", "$.devices.gpus[1]", "GPU listed twice, got 0")]
    [InlineData("""{"gpus": ["cuda:0"]}""", "$.devices.gpus[0]", "expected an integer, got \"cuda:0\"")]
    [InlineData("""{"gpus": []}""", "$.devices.gpus", "at least one GPU")]
    [InlineData("""{"gpus": "auto", "trial_memory_mb": 10}""", "$.devices.trial_memory_mb", "between 64 and 1048576, got 10")]
    [InlineData("""{"gpus": "auto", "cpu_slots": 2}""", "$.devices.cpu_slots", "unknown key (known: gpus, trials_per_gpu, trial_memory_mb, threads_per_slot)")]
    public void WhenAPackingValueIsBadThenOneLineNamesItsJsonPath(string devices, string jsonPath, string expected)
    {
        // When a bad packing value is loaded
        var error = Assert.Throws<ConfigException>(() => Load(devices));

        // Then the one-line error names the path and the value
        Assert.Equal(jsonPath, error.JsonPath);
        Assert.Contains($": {jsonPath}: ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
