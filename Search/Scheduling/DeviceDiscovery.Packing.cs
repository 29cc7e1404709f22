using Mnist.Search.Config;

namespace Mnist.Search.Scheduling;

/// <summary>Several trial slots per GPU (<c>"trials_per_gpu"</c>), a fixed number or sized from the GPU's free memory.</summary>
internal sealed partial class DeviceDiscovery
{
    /// <summary>
    /// Slots <c>cuda:N/k</c> (plain <c>cuda:N</c> at one per GPU), ordered round-robin over the GPUs so that
    /// a <c>max_concurrent</c> cap, and the pool's FIFO, spread trials over all GPUs before stacking them.
    /// </summary>
    private List<DeviceSlot> Packed(IReadOnlyList<GpuInfo> gpus, GpuPacking packing)
    {
        var perGpu = gpus.Select(g => (Gpu: g, Count: packing.TrialsPerGpu ?? AutoTrialsPerGpu(g, packing, gpus.Count))).ToList();
        var slots = new List<DeviceSlot>();
        for (var k = 0; k < perGpu.Max(p => p.Count); k++)
            foreach (var (gpu, count) in perGpu.Where(p => k < p.Count))
                slots.Add(new DeviceSlot(count == 1 ? $"cuda:{gpu.Index}" : $"cuda:{gpu.Index}/{k}", gpu.Index, 1));
        return slots;
    }

    /// <summary>
    /// As many trials as the GPU's free memory holds at the declared footprint, at most
    /// <see cref="GpuPacking.MaxAutoTrialsPerGpu"/> and at most the cores per GPU (a trial process keeps one
    /// core busy launching kernels); 1 when nvidia-smi reported no memory. Logs what it chose and why.
    /// </summary>
    private int AutoTrialsPerGpu(GpuInfo gpu, GpuPacking packing, int gpuCount)
    {
        var coresPerGpu = Math.Max(1, Cores / gpuCount);
        if (gpu.MemoryFreeMiB is not long free)
        {
            log.Warning("trials_per_gpu \"auto\": nvidia-smi reported no memory for GPU {Index} ({Name}); running 1 trial on it",
                gpu.Index, gpu.Name);
            return 1;
        }
        var fits = (int)Math.Min(int.MaxValue, (long)(free * GpuPacking.UsableMemoryFraction) / packing.TrialMemoryMiB);
        var chosen = Math.Max(1, Math.Min(fits, Math.Min(GpuPacking.MaxAutoTrialsPerGpu, coresPerGpu)));
        log.Information(
            "trials_per_gpu \"auto\": GPU {Index} ({Name}) has {Free} MiB free of {Total} MiB, room for {Fits} trial(s) of {Footprint} MiB; " +
            "using {Chosen} (at most {Cap} per GPU, {Cores} core(s) per GPU)",
            gpu.Index, gpu.Name, free, gpu.MemoryTotalMiB, fits, packing.TrialMemoryMiB, chosen, GpuPacking.MaxAutoTrialsPerGpu, coresPerGpu);
        if (fits < 1)
            log.Warning("GPU {Index} has less free memory ({Free} MiB) than one trial's footprint ({Footprint} MiB); running 1 trial on it anyway",
                gpu.Index, free, packing.TrialMemoryMiB);
        return chosen;
    }

    /// <summary>The listed <c>cuda:N</c> GPUs, with memory from nvidia-smi only when "auto" needs it.</summary>
    private List<GpuInfo> ListedGpus(IReadOnlyList<string> ids, GpuPacking packing)
    {
        var indices = ids.Where(id => id != "cpu").Select(CudaIndex).ToList();
        var known = packing.TrialsPerGpu is null ? listGpus().ToDictionary(g => g.Index) : [];
        return indices.Select(i => known.TryGetValue(i, out var g) ? g : new GpuInfo(i, $"cuda:{i}", null)).ToList();
    }
}
