using System.Globalization;
using Mnist.Search.Config;
using Serilog;

namespace Mnist.Search.Scheduling;

/// <summary>
/// Turns <c>devices</c> and <c>budget.max_concurrent</c> into the slots trials run on. "auto" takes every
/// GPU <c>nvidia-smi</c> lists (restricted by the coordinator's own <c>CUDA_VISIBLE_DEVICES</c>), else
/// CPU slots; an explicit <c>cuda:N</c> list is taken as given, unchecked (tests fake GPUs that way).
/// With packing, each GPU gets several slots (see DeviceDiscovery.Packing.cs).
/// </summary>
internal sealed partial class DeviceDiscovery(
    Func<IReadOnlyList<GpuInfo>> listGpus,
    int processorCount,
    string? cudaVisibleDevices,
    ILogger log)
{
    /// <summary>Discovery against this machine: real <c>nvidia-smi</c>, core count and environment.</summary>
    public static DeviceDiscovery ForThisMachine(ILogger log) =>
        new(NvidiaSmi.ListGpus, Environment.ProcessorCount, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"), log);

    public DevicePool CreatePool(DevicesConfig devices, int maxConcurrent) => new(Discover(devices, maxConcurrent));

    /// <summary>The slots to use: at most <paramref name="maxConcurrent"/> of those configured.</summary>
    public IReadOnlyList<DeviceSlot> Discover(DevicesConfig devices, int maxConcurrent)
    {
        if (maxConcurrent < 1)
            throw new ArgumentOutOfRangeException(nameof(maxConcurrent), maxConcurrent, "must be at least 1");
        var all = devices.Mode switch
        {
            DevicesMode.Auto => Auto(devices),
            DevicesMode.List when devices.Packing is not null => Packed(ListedGpus(devices.Ids, devices.Packing), devices.Packing),
            DevicesMode.List => FromList(devices.Ids),
            _ => CpuSlots(devices.CpuSlots, devices.ThreadsPerSlot),
        };
        var used = all.Take(maxConcurrent).ToList();
        if (maxConcurrent > all.Count)
            log.Warning("budget.max_concurrent is {MaxConcurrent} but there are only {Count} device slot(s); at most {Count} trial(s) run at once",
                maxConcurrent, all.Count, all.Count);
        // GPU slots share the machine's cores fairly: a slot's torch threads feed kernels and run the
        // data pipeline, and more threads than cores only make the trials slow each other down.
        if (devices.Mode == DevicesMode.Auto || devices.Packing is not null)
        {
            var threads = devices.ThreadsPerSlot ?? Math.Max(1, processorCount / used.Count);
            used = used.Select(s => s.IsGpu ? s with { Threads = threads } : s).ToList();
        }
        log.Information("Devices: {Devices}", string.Join(", ", used.Select(d => $"{d.Id} ({d.Threads} threads)")));
        return used;
    }

    private List<DeviceSlot> Auto(DevicesConfig devices)
    {
        var gpus = listGpus().Where(IsVisible).ToList();
        if (gpus.Count == 0)
        {
            log.Information("No GPU found; running trials on the CPU");
            return CpuSlots(devices.CpuSlots, devices.ThreadsPerSlot);
        }
        foreach (var gpu in gpus)
            log.Debug("Found GPU {Index}: {Name}", gpu.Index, gpu.Name);
        return devices.Packing is null
            ? gpus.Select(g => new DeviceSlot($"cuda:{g.Index}", g.Index, 1)).ToList()
            : Packed(gpus, devices.Packing);
    }

    /// <summary>Honours a <c>CUDA_VISIBLE_DEVICES</c> the coordinator was started with (indices or UUIDs).</summary>
    private bool IsVisible(GpuInfo gpu)
    {
        if (cudaVisibleDevices is null) return true;
        return cudaVisibleDevices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(token => int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? index == gpu.Index
                : gpu.Uuid is not null && gpu.Uuid.StartsWith(token, StringComparison.OrdinalIgnoreCase));
    }

    private List<DeviceSlot> FromList(IReadOnlyList<string> ids)
    {
        var cpuCount = ids.Count(id => id == "cpu");
        var gpuCount = ids.Count - cpuCount;
        var cpuThreads = cpuCount == 0 ? 1 : Math.Max(1, processorCount / cpuCount);
        var gpuThreads = gpuCount == 0 ? 1 : Math.Max(1, processorCount / gpuCount);
        var cpuIndex = 0;
        return ids.Select(id => id == "cpu"
                ? new DeviceSlot($"cpu:{cpuIndex++}", null, cpuThreads)
                : new DeviceSlot(id, CudaIndex(id), gpuThreads))
            .ToList();
    }

    private static int CudaIndex(string id) => int.Parse(id["cuda:".Length..], CultureInfo.InvariantCulture);

    private List<DeviceSlot> CpuSlots(int slots, int? threadsPerSlot)
    {
        var threads = threadsPerSlot ?? Math.Max(1, processorCount / slots);
        if (slots * threads > processorCount)
            log.Warning("{Slots} CPU slot(s) x {Threads} thread(s) oversubscribe the {Cores} core(s); trials will slow each other down",
                slots, threads, processorCount);
        return Enumerable.Range(0, slots).Select(i => new DeviceSlot($"cpu:{i}", null, threads)).ToList();
    }
}
