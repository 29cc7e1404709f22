namespace Mnist.Search.Config;

/// <summary>
/// Where trials run. <see cref="Ids"/> is the list for <see cref="DevicesMode.List"/> (<c>cuda:N</c> or
/// <c>cpu</c> entries). For <see cref="DevicesMode.Cpu"/> (and Auto without GPUs) there are
/// <see cref="CpuSlots"/> slots of <see cref="ThreadsPerSlot"/> threads (null = the cores shared out).
/// <see cref="Packing"/>, from the object form <c>{"gpus": ..., "trials_per_gpu": ...}</c>, runs several
/// trials per GPU (Auto: the GPUs <c>nvidia-smi</c> lists; List: the given <c>cuda:N</c>); null = one each.
/// </summary>
public sealed record DevicesConfig(
    DevicesMode Mode, IReadOnlyList<string> Ids, int CpuSlots = 1, int? ThreadsPerSlot = null, GpuPacking? Packing = null)
{
    public static DevicesConfig Auto { get; } = new(DevicesMode.Auto, []);
}
