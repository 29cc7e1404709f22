using Mnist.Search.Config;
using Mnist.Search.Scheduling;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Workers;
using Serilog.Events;

namespace Mnist.Search.Tests.Scheduling;

public sealed class DeviceDiscoveryTests
{
    /// <summary>What <c>nvidia-smi -L</c> prints on a two-GPU machine with MIG enabled on the second.</summary>
    private const string NvidiaSmiOutput = """
        GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1f2e3d4c-0000-1111-2222-333344445555)
        GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaabbbb-cccc-dddd-eeee-ffff00001111)
          MIG 1g.5gb      Device  0: (UUID: MIG-12345678-1234-1234-1234-123456789abc)
        """;

    private static IReadOnlyList<GpuInfo> FourGpus() =>
        Enumerable.Range(0, 4).Select(i => new GpuInfo(i, "Fake GPU", $"GPU-{i}{i}{i}")).ToList();

    private static DeviceDiscovery Discovery(IReadOnlyList<GpuInfo> gpus, int cores = 16, string? visible = null, Serilog.ILogger? log = null) =>
        new(() => gpus, cores, visible, log ?? Serilog.Core.Logger.None);

    [Fact]
    public void WhenNvidiaSmiListsGpusThenEachGpuLineIsParsedAndMigLinesSkipped()
    {
        // When the output is parsed
        var gpus = NvidiaSmi.Parse(NvidiaSmiOutput);

        // Then both GPUs are found with name and UUID
        Assert.Equal(
            [
                new GpuInfo(0, "NVIDIA H100 80GB HBM3", "GPU-1f2e3d4c-0000-1111-2222-333344445555"),
                new GpuInfo(1, "NVIDIA A100-SXM4-40GB", "GPU-aaaabbbb-cccc-dddd-eeee-ffff00001111"),
            ],
            gpus);
    }

    [Fact]
    public void WhenNvidiaSmiIsMissingThenThereAreNoGpus()
    {
        Assert.Empty(NvidiaSmi.ListGpus("/nonexistent/nvidia-smi", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void WhenNvidiaSmiIsARealProgramThenItsOutputIsUsedAndFailuresMeanNoGpus()
    {
        // Given two stand-in programs: one prints a GPU list, one fails after printing one
        using var folder = new TempFolder();
        var good = Scripts.WriteExecutable(folder.Combine("good-smi"),
            "[ \"$1\" = \"-L\" ] || exit 5\necho 'GPU 0: Fake (UUID: GPU-0)'\necho 'GPU 1: Fake (UUID: GPU-1)'");
        var bad = Scripts.WriteExecutable(folder.Combine("bad-smi"), "echo 'GPU 0: Fake (UUID: GPU-0)'\nexit 9");

        // When each is asked for the list
        var fromGood = NvidiaSmi.ListGpus(good, TimeSpan.FromSeconds(10));
        var fromBad = NvidiaSmi.ListGpus(bad, TimeSpan.FromSeconds(10));

        // Then only the successful one counts
        Assert.Equal([0, 1], fromGood.Select(g => g.Index));
        Assert.Empty(fromBad);
    }

    [Fact]
    public void WhenAutoFindsGpusThenThereIsOneSlotPerGpuWithTheCoresShared()
    {
        // When auto discovery sees four GPUs on 16 cores with room for eight trials
        var slots = Discovery(FourGpus()).Discover(DevicesConfig.Auto, maxConcurrent: 8);

        // Then each GPU is one slot with a quarter of the cores
        Assert.Equal(
            [new("cuda:0", 0, 4), new("cuda:1", 1, 4), new("cuda:2", 2, 4), new DeviceSlot("cuda:3", 3, 4)],
            slots);
    }

    [Fact]
    public void WhenMaxConcurrentIsBelowTheDeviceCountThenItCapsTheSlots()
    {
        // Given a logger to see the decision
        var (log, sink) = CollectingSink.Create();

        // When only two trials may run at once
        var slots = Discovery(FourGpus(), log: log).Discover(DevicesConfig.Auto, maxConcurrent: 2);

        // Then two GPUs are used, and the idle two are named with the setting that would use them (max_concurrent's
        // default, 1, left the README's packing example at one trial at a time without a word)
        Assert.Equal(["cuda:0", "cuda:1"], slots.Select(s => s.Id));
        Assert.Contains("budget.max_concurrent is 2: 2 of the 4 device slots stay idle (cuda:2, cuda:3); set it to 4 to use them all",
            sink.Messages(LogEventLevel.Warning));
    }

    [Fact]
    public void WhenAutoFindsNoGpuThenOneCpuSlotGetsEveryCore()
    {
        // Given a logger to see the decision
        var (log, sink) = CollectingSink.Create();

        // When auto discovery finds no GPU and max_concurrent asks for more than one trial
        var slots = new DeviceDiscovery(() => [], 6, null, log).Discover(DevicesConfig.Auto, maxConcurrent: 3);

        // Then one CPU slot has all six cores, and the cap is explained
        Assert.Equal([new DeviceSlot("cpu:0", null, 6)], slots);
        Assert.Contains(sink.Messages(LogEventLevel.Warning), m => m.Contains("only 1 device slot"));
    }

    [Fact]
    public void WhenTheCoordinatorHasCudaVisibleDevicesThenAutoUsesOnlyThoseGpus()
    {
        // When CUDA_VISIBLE_DEVICES names GPU 1 by index and GPU 3 by UUID prefix
        var slots = Discovery(FourGpus(), visible: "1,GPU-333").Discover(DevicesConfig.Auto, 8);

        // Then only those two are used
        Assert.Equal(["cuda:1", "cuda:3"], slots.Select(s => s.Id));
    }

    [Fact]
    public void WhenAnExplicitListIsGivenThenItIsTakenAsGivenWithoutAskingNvidiaSmi()
    {
        // Given a GPU probe that must not be called
        var discovery = new DeviceDiscovery(() => throw new InvalidOperationException("probed"), 8, null, Serilog.Core.Logger.None);

        // When the list names two GPUs and a CPU slot
        var slots = discovery.Discover(new DevicesConfig(DevicesMode.List, ["cuda:2", "cuda:5", "cpu"]), 8);

        // Then the slots follow the list, and share the eight cores (they were given 4 + 4 + 8): two each, and the two
        // spare ones to the CPU slot first, which computes on them, then to the first GPU slot
        Assert.Equal([new("cuda:2", 2, 3), new("cuda:5", 5, 2), new DeviceSlot("cpu:0", null, 3)], slots);
    }

    [Fact]
    public void WhenCpuSlotsAreConfiguredThenEachHasItsThreads()
    {
        // When three slots of two threads are asked for on eight cores
        var slots = Discovery([], cores: 8).Discover(new DevicesConfig(DevicesMode.Cpu, [], 3, 2), 8);

        // Then there are three cpu slots of two threads
        Assert.Equal([new("cpu:0", null, 2), new("cpu:1", null, 2), new DeviceSlot("cpu:2", null, 2)], slots);
    }

    [Fact]
    public void WhenCpuSlotsHaveNoThreadCountThenTheCoresAreShared()
    {
        // When two slots share five cores
        var slots = Discovery([], cores: 5).Discover(new DevicesConfig(DevicesMode.Cpu, [], 2), 8);

        // Then all five are used, none twice
        Assert.Equal([3, 2], slots.Select(s => s.Threads));
    }

    [Fact]
    public void WhenMoreCpuSlotsAreConfiguredThanRunAtOnceThenTheCoresGoToThoseThatRun()
    {
        // When four slots are configured on eight cores but max_concurrent is two
        var slots = Discovery([], cores: 8).Discover(new DevicesConfig(DevicesMode.Cpu, [], 4), 2);

        // Then the two that run get four threads each (they got two each, leaving four cores idle)
        Assert.Equal([new("cpu:0", null, 4), new DeviceSlot("cpu:1", null, 4)], slots);
    }

    [Fact]
    public void WhenThereAreMoreSlotsThanCoresThenEachGetsOneThread()
    {
        var slots = Discovery([], cores: 2).Discover(new DevicesConfig(DevicesMode.List, ["cpu", "cpu", "cpu"]), 8);

        Assert.All(slots, s => Assert.Equal(1, s.Threads));
    }

    [Fact]
    public void WhenASlotIsAGpuThenTheWorkerSeesOnlyThatGpu()
    {
        // Given a GPU slot and a CPU slot
        var gpu = new DeviceSlot("cuda:3", 3, 4);
        var cpu = new DeviceSlot("cpu:0", null, 2);

        // Then the worker environment pins the GPU (in nvidia-smi's order) or hides all GPUs
        Assert.Equal("3", gpu.WorkerEnvironment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("PCI_BUS_ID", gpu.WorkerEnvironment["CUDA_DEVICE_ORDER"]);
        Assert.Equal("cuda", gpu.WorkerDevice);
        Assert.Equal("", cpu.WorkerEnvironment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("2", cpu.WorkerEnvironment["OMP_NUM_THREADS"]);
        Assert.Equal("cpu", cpu.WorkerDevice);
    }

    [Fact]
    public void WhenFourTrialsPerGpuAreAskedThenEachGpuHasFourSlotsInterleavedWithTheCoresShared()
    {
        // Given two GPUs on 16 cores
        var packing = new DevicesConfig(DevicesMode.Auto, [], Packing: new GpuPacking(4));

        // When four trials per GPU are asked for, with room for all of them
        var slots = Discovery(FourGpus().Take(2).ToList()).Discover(packing, maxConcurrent: 8);

        // Then eight slots alternate between the GPUs, each pinned to its GPU, each with 16 / 8 threads
        Assert.Equal(["cuda:0/0", "cuda:1/0", "cuda:0/1", "cuda:1/1", "cuda:0/2", "cuda:1/2", "cuda:0/3", "cuda:1/3"], slots.Select(s => s.Id));
        Assert.Equal([0, 1, 0, 1, 0, 1, 0, 1], slots.Select(s => s.CudaIndex!.Value));
        Assert.All(slots, s => Assert.Equal(2, s.Threads));
        Assert.All(slots, s => Assert.Equal(s.CudaIndex.ToString(), s.WorkerEnvironment["CUDA_VISIBLE_DEVICES"]));
    }

    [Fact]
    public void WhenMaxConcurrentCapsPackedSlotsThenTheyAreSpreadOverTheGpusAndGetMoreThreads()
    {
        // When four GPUs of four trials each are capped at six trials on 12 cores
        var slots = Discovery(FourGpus(), cores: 12).Discover(new DevicesConfig(DevicesMode.Auto, [], Packing: new GpuPacking(4)), 6);

        // Then every GPU is used before any has a second trial, and the cores are shared among six
        Assert.Equal(["cuda:0/0", "cuda:1/0", "cuda:2/0", "cuda:3/0", "cuda:0/1", "cuda:1/1"], slots.Select(s => s.Id));
        Assert.All(slots, s => Assert.Equal(2, s.Threads));
    }

    [Fact]
    public void WhenTrialsPerGpuIsAutoThenTheFreeMemoryAndTheCoresDecideAndTheChoiceIsLogged()
    {
        // Given a 16 GiB GPU with 1 GiB in use and an 80 GiB one that is empty, 3000 MiB per trial
        var (log, sink) = CollectingSink.Create();
        IReadOnlyList<GpuInfo> gpus = [new(0, "Small", "GPU-0", 16384, 1024), new(1, "Big", "GPU-1", 81920, 0)];
        var packing = new DevicesConfig(DevicesMode.Auto, [], Packing: new GpuPacking(null, 3000));

        // When auto packing runs on 32 cores, then on 6
        var many = new DeviceDiscovery(() => gpus, 32, null, log).Discover(packing, 64);
        var few = new DeviceDiscovery(() => gpus, 6, null, Serilog.Core.Logger.None).Discover(packing, 64);

        // Then the small GPU holds floor(15360 * 0.9 / 3000) = 4, the big one the cap of 8; with 6 cores, 3 each
        Assert.Equal(4, many.Count(s => s.CudaIndex == 0));
        Assert.Equal(GpuPacking.MaxAutoTrialsPerGpu, many.Count(s => s.CudaIndex == 1));
        Assert.Equal(3, few.Count(s => s.CudaIndex == 0));
        Assert.Equal(3, few.Count(s => s.CudaIndex == 1));
        Assert.Contains(sink.Messages(LogEventLevel.Information),
            m => m.Contains("GPU 0") && m.Contains("15360 MiB free") && m.Contains("room for 4 trial(s) of 3000 MiB") && m.Contains("using 4"));
    }

    [Fact]
    public void WhenTrialsPerGpuIsAutoButMemoryIsUnknownThenOneTrialRunsAndAWarningSaysWhy()
    {
        // Given a GPU whose memory nvidia-smi did not report
        var (log, sink) = CollectingSink.Create();
        var discovery = new DeviceDiscovery(() => [new GpuInfo(0, "Odd", null)], 8, null, log);

        // When auto packing runs
        var slots = discovery.Discover(new DevicesConfig(DevicesMode.Auto, [], Packing: new GpuPacking(null)), 8);

        // Then there is one slot, and the warning names the GPU
        Assert.Equal([new DeviceSlot("cuda:0", 0, 8)], slots);
        Assert.Contains(sink.Messages(LogEventLevel.Warning), m => m.Contains("no memory for GPU 0"));
    }

    [Fact]
    public void WhenListedGpusArePackedWithAFixedCountThenNvidiaSmiIsNotAsked()
    {
        // Given a GPU probe that must not be called
        var discovery = new DeviceDiscovery(() => throw new InvalidOperationException("probed"), 4, null, Serilog.Core.Logger.None);

        // When two listed GPUs take two trials each
        var slots = discovery.Discover(new DevicesConfig(DevicesMode.List, ["cuda:1", "cuda:3"], Packing: new GpuPacking(2)), 8);

        // Then the slots follow the list, one thread each
        Assert.Equal(["cuda:1/0", "cuda:3/0", "cuda:1/1", "cuda:3/1"], slots.Select(s => s.Id));
        Assert.All(slots, s => Assert.Equal(1, s.Threads));
    }

    [Fact]
    public void WhenAFakeNvidiaSmiReportsMemoryThenListGpusMergesItAndAutoPacksFromIt()
    {
        // Given a stand-in nvidia-smi that answers -L and the memory query like the real one
        using var folder = new TempFolder();
        var smi = FakeNvidiaSmi.Write(folder.Path, (0, "NVIDIA H200", 143771, 771), (1, "NVIDIA H200", 143771, 100000));

        // When the GPUs are listed through it and packed automatically at 8000 MiB per trial
        var gpus = NvidiaSmi.ListGpus(smi, TimeSpan.FromSeconds(10));
        var slots = new DeviceDiscovery(() => gpus, 64, null, Serilog.Core.Logger.None)
            .Discover(new DevicesConfig(DevicesMode.Auto, [], Packing: new GpuPacking(null, 8000)), 64);

        // Then memory is known per GPU, and the busy GPU gets fewer slots: floor(43771 * 0.9 / 8000) = 4
        Assert.Equal([143771L, 143771L], gpus.Select(g => g.MemoryTotalMiB!.Value));
        Assert.Equal([143000L, 43771L], gpus.Select(g => g.MemoryFreeMiB!.Value));
        Assert.Equal(8, slots.Count(s => s.CudaIndex == 0));
        Assert.Equal(4, slots.Count(s => s.CudaIndex == 1));
    }
}
