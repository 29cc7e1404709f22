namespace Mnist.Search.Scheduling;

/// <summary>
/// One GPU as <c>nvidia-smi -L</c> lists it, with its memory (MiB) from <c>--query-gpu</c> when that answered.
/// </summary>
public sealed record GpuInfo(int Index, string Name, string? Uuid, long? MemoryTotalMiB = null, long? MemoryUsedMiB = null)
{
    /// <summary>Memory not yet taken by other processes; null when nvidia-smi did not report it.</summary>
    public long? MemoryFreeMiB => MemoryTotalMiB is long total ? Math.Max(0, total - (MemoryUsedMiB ?? 0)) : null;
}
