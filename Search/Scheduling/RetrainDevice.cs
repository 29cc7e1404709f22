namespace Mnist.Search.Scheduling;

/// <summary>Where the retrain of the best configuration runs.</summary>
public static class RetrainDevice
{
    /// <summary>
    /// The first slot, but on CPU with the threads of every CPU slot: the retrain runs alone after the search,
    /// so the cores that several one-thread trial slots shared all go to it (with <c>cpu_slots: 2,
    /// threads_per_slot: 1</c> on two cores the retrain took one core and twice as long). A GPU slot keeps its
    /// own threads.
    /// </summary>
    public static DeviceSlot From(IReadOnlyList<DeviceSlot> slots)
    {
        if (slots.Count == 0) throw new ArgumentException("no device slot", nameof(slots));
        var first = slots[0];
        return first.IsGpu ? first : first with { Threads = Math.Max(first.Threads, slots.Where(s => !s.IsGpu).Sum(s => s.Threads)) };
    }
}
