namespace Mnist.Search.Config;

/// <summary>
/// Where trials run. <see cref="Ids"/> is the list for <see cref="DevicesMode.List"/> (<c>cuda:N</c> or
/// <c>cpu</c> entries). For <see cref="DevicesMode.Cpu"/> (and Auto without GPUs) there are
/// <see cref="CpuSlots"/> slots of <see cref="ThreadsPerSlot"/> threads (null = the cores shared out).
/// </summary>
public sealed record DevicesConfig(DevicesMode Mode, IReadOnlyList<string> Ids, int CpuSlots = 1, int? ThreadsPerSlot = null)
{
    public static DevicesConfig Auto { get; } = new(DevicesMode.Auto, []);
}
