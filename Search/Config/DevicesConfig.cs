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

    /// <summary>The highest GPU index a <c>cuda:N</c> entry may name.</summary>
    public const int MaxCudaIndex = 999;

    /// <summary>What a list entry may be, for messages.</summary>
    public const string EntryForms = "\"cpu\" or \"cuda:N\" (N 0-999)";

    /// <summary>
    /// A list entry in its one spelling (<c>cpu</c>, <c>cuda:N</c> without leading zeros), or null when it is neither:
    /// <c>cuda:00</c> was a second slot on GPU 0 past the "listed twice" rule, and <c>cuda:99999999999</c> passed
    /// <c>--devices</c> to fail later with an overflow.
    /// </summary>
    public static string? NormalizeEntry(string entry)
    {
        if (entry == "cpu") return entry;
        if (!entry.StartsWith("cuda:", StringComparison.Ordinal)) return null;
        var digits = entry["cuda:".Length..];
        if (digits.Length is 0 or > 9 || !digits.All(char.IsAsciiDigit)) return null;
        var index = int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        return index <= MaxCudaIndex ? $"cuda:{index}" : null;
    }
}
