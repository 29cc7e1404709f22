namespace Mnist.Search.Scheduling;

/// <summary>Where the retrain of the best configuration runs.</summary>
public static class RetrainDevice
{
    /// <summary>
    /// The first slot, but on CPU with the threads of every CPU slot: the retrain runs alone after the search,
    /// so the cores that several one-thread trial slots shared all go to it (with <c>cpu_slots: 2,
    /// threads_per_slot: 1</c> on two cores the retrain took one core and twice as long). Never more than the machine's
    /// cores, though: slots may oversubscribe them (<c>cpu_slots: 4</c> on two cores gave the retrain 4 torch threads,
    /// which only contend). A GPU slot, and a first slot given more threads of its own, keep their threads.
    /// </summary>
    public static DeviceSlot From(IReadOnlyList<DeviceSlot> slots)
    {
        if (slots.Count == 0) throw new ArgumentException("no device slot", nameof(slots));
        var first = slots[0];
        if (first.IsGpu) return first;
        var shared = Math.Min(Environment.ProcessorCount, slots.Where(s => !s.IsGpu).Sum(s => s.Threads));
        return first with { Threads = Math.Max(first.Threads, shared) };
    }
}
