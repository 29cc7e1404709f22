namespace Mnist.Search.Config;

/// <summary>
/// How many trials share one GPU (<c>{"gpus": ..., "trials_per_gpu": N | "auto"}</c>). <see cref="TrialsPerGpu"/>
/// null means "auto": as many as the GPU's free memory holds at <see cref="TrialMemoryMiB"/> each, capped by
/// <see cref="MaxAutoTrialsPerGpu"/> and by the CPU cores (every trial process needs a core to feed its GPU).
/// </summary>
public sealed record GpuPacking(int? TrialsPerGpu, int TrialMemoryMiB = GpuPacking.DefaultTrialMemoryMiB)
{
    /// <summary>
    /// Declared footprint of one trial when <c>trial_memory_mb</c> is not given: the CUDA context and
    /// libtorch's kernels (~0.5 GiB), the resident MNIST split (~0.2 GiB) and the largest CNN of the default
    /// space with Adam state and a 256-image batch, with room for the caching allocator. bench/gpu measures
    /// the real figure with nvidia-smi on a GPU.
    /// </summary>
    public const int DefaultTrialMemoryMiB = 2048;

    /// <summary>
    /// Upper bound for "auto": processes on one GPU time-share its SMs (no MPS), so beyond a few the
    /// gain is throughput per trial lost to context switches, however much memory is left.
    /// </summary>
    public const int MaxAutoTrialsPerGpu = 8;

    /// <summary>Upper bound accepted for an explicit <c>trials_per_gpu</c>.</summary>
    public const int MaxTrialsPerGpu = 64;

    /// <summary>Share of the free memory "auto" plans to use (the rest absorbs allocator fragmentation).</summary>
    public const double UsableMemoryFraction = 0.9;
}
