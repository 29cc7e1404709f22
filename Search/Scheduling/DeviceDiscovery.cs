using System.Globalization;
using Mnist.Search.Config;
using Serilog;

namespace Mnist.Search.Scheduling;

/// <summary>
/// Turns <c>devices</c> and <c>budget.max_concurrent</c> into the slots trials run on. "auto" takes every
/// GPU <c>nvidia-smi</c> lists (restricted by the coordinator's own <c>CUDA_VISIBLE_DEVICES</c>), else
/// CPU slots; an explicit <c>cuda:N</c> list is taken as given here (tests fake GPUs that way; for the built Trials
/// worker, StudyRun first refuses one this machine or build cannot use: <see cref="CudaSupport"/>).
/// With packing, each GPU gets several slots (see DeviceDiscovery.Packing.cs). Inside a Slurm task given
/// <c>--cpus-per-task</c> (<paramref name="slurmCpusPerTask"/>), the cores are the CPUs Slurm gave it.
/// </summary>
internal sealed partial class DeviceDiscovery(
    Func<IReadOnlyList<GpuInfo>> listGpus,
    int processorCount,
    string? cudaVisibleDevices,
    ILogger log,
    int? slurmCpusPerTask = null)
{
    /// <summary>Discovery against this machine: real <c>nvidia-smi</c>, core count and environment.</summary>
    public static DeviceDiscovery ForThisMachine(ILogger log) =>
        new(NvidiaSmi.ListGpus, Environment.ProcessorCount, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"), log,
            SlurmCpusPerTask(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK")));

    /// <summary>
    /// Slurm's <c>SLURM_CPUS_PER_TASK</c> (set in a task that asked for <c>--cpus-per-task</c>, as <c>study submit
    /// --cpus-per-worker</c> does), or null when unset or not a positive count. On a cluster whose TaskPlugin does not
    /// bind CPUs (task/none) the process still sees every core of the node: each array task of `--cpus-per-worker 1`
    /// trained with all of them, and N tasks on one node oversubscribed it N-fold.
    /// </summary>
    internal static int? SlurmCpusPerTask(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var cpus) && cpus > 0 ? cpus : null;

    /// <summary>The cores the slots share: those Slurm gave this task, else the machine's.</summary>
    private int Cores => slurmCpusPerTask ?? processorCount;

    public DevicePool CreatePool(DevicesConfig devices, int maxConcurrent) => new(Discover(devices, maxConcurrent));

    /// <summary>
    /// The slots to use: at most <paramref name="maxConcurrent"/> of those configured. <paramref name="sayIdle"/>: warn
    /// when slots are left idle (not for a retrain, which takes one whatever the search used).
    /// </summary>
    public IReadOnlyList<DeviceSlot> Discover(DevicesConfig devices, int maxConcurrent, bool sayIdle = true)
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
        // Fewer trials at once than slots configured: the others stay idle. Said, because max_concurrent's default is 1,
        // and a study with `"trials_per_gpu": 4`, or two GPUs, ran one trial at a time without a word (audit-downstream 2).
        if (sayIdle && maxConcurrent < all.Count)
            log.Warning("budget.max_concurrent is {MaxConcurrent}: {Idle} of the {Count} device slots stay idle ({IdleSlots:l}); set it to {Count} to use them all",
                maxConcurrent, all.Count - maxConcurrent, all.Count, string.Join(", ", all.Skip(maxConcurrent).Select(d => d.Id)), all.Count);
        if (maxConcurrent > all.Count)
            log.Warning("budget.max_concurrent is {MaxConcurrent} but there are only {Count} device slot(s); at most {Count} trial(s) run at once",
                maxConcurrent, all.Count, all.Count);
        // The slots that run at once share the machine's cores, unless threads_per_slot says otherwise: a slot's torch
        // threads compute (CPU) or feed kernels and run the data pipeline (GPU), and more threads than cores only make
        // the trials slow each other down. Shared out only after max_concurrent: slots that never run get none. (A
        // list of two GPUs and a CPU on 8 cores gave them 4 + 4 + 8 threads; now 3 + 2 + 3, spare cores to the CPU first.)
        used = ShareCores(used, devices.ThreadsPerSlot);
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

    private static List<DeviceSlot> FromList(IReadOnlyList<string> ids)
    {
        var cpuIndex = 0;
        return ids.Select(id => id == "cpu"
                ? new DeviceSlot($"cpu:{cpuIndex++}", null, 1)
                : new DeviceSlot(id, CudaIndex(id), 1))
            .ToList();
    }

    /// <summary>
    /// Every slot <paramref name="threadsPerSlot"/> threads when given; else the cores divided among the slots, the
    /// remainder one each to the CPU slots first (they compute on those cores), then to GPU slots in order.
    /// </summary>
    private List<DeviceSlot> ShareCores(List<DeviceSlot> slots, int? threadsPerSlot)
    {
        // The CPUs Slurm allocated are what this task may use, whatever the study's threads_per_slot (set for the machine
        // it was written on): fewer left CPUs the job paid for idle, more oversubscribed them.
        if (slurmCpusPerTask is { } allocated && threadsPerSlot is { } ignored)
            log.Information("threads_per_slot {Threads} set aside: this Slurm task has {Cpus} CPU(s) (SLURM_CPUS_PER_TASK), shared among its slots",
                ignored, allocated);
        else if (threadsPerSlot is { } fixedThreads) return slots.Select(s => s with { Threads = fixedThreads }).ToList();
        var cores = Cores;
        var share = Math.Max(1, cores / slots.Count);
        var spare = cores >= slots.Count ? cores % slots.Count : 0;
        var getsOneMore = slots.Select((s, i) => (s, i)).OrderBy(x => x.s.IsGpu).Take(spare).Select(x => x.i).ToHashSet();
        return slots.Select((s, i) => s with { Threads = share + (getsOneMore.Contains(i) ? 1 : 0) }).ToList();
    }

    private static int CudaIndex(string id) => int.Parse(id["cuda:".Length..], CultureInfo.InvariantCulture);

    private List<DeviceSlot> CpuSlots(int slots, int? threadsPerSlot)
    {
        if (slurmCpusPerTask is null && threadsPerSlot is { } threads && slots * threads > processorCount)
            log.Warning("{Slots} CPU slot(s) x {Threads} thread(s) oversubscribe the {Cores} core(s); trials will slow each other down",
                slots, threads, processorCount);
        return Enumerable.Range(0, slots).Select(i => new DeviceSlot($"cpu:{i}", null, 1)).ToList();
    }
}
