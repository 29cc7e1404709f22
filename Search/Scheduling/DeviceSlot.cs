namespace Mnist.Search.Scheduling;

/// <summary>
/// One place a trial can run: a GPU (<c>cuda:N</c>, or <c>cuda:N/k</c> for the k-th of several trial slots packed
/// on GPU N; <see cref="CudaIndex"/> set, exported to the child as <c>CUDA_VISIBLE_DEVICES=N</c>) or a CPU slot
/// (<c>cpu:N</c>), each with its own thread budget.
/// </summary>
public sealed record DeviceSlot(string Id, int? CudaIndex, int Threads)
{
    public bool IsGpu => CudaIndex is not null;

    /// <summary>The worker spec's <c>device</c> value for this slot.</summary>
    public string WorkerDevice => IsGpu ? "cuda" : "cpu";

    /// <summary>
    /// Environment variables for a worker on this slot: its GPU only (numbered in PCI order, as
    /// <c>nvidia-smi</c> numbers them) or no GPU at all, and the slot's thread budget for OpenMP.
    /// </summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment => IsGpu
        ? new Dictionary<string, string>
        {
            ["CUDA_VISIBLE_DEVICES"] = CudaIndex!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // CUDA's own default order is "fastest first"; nvidia-smi's indices are PCI bus order.
            ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID",
            ["OMP_NUM_THREADS"] = Threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }
        : new Dictionary<string, string>
        {
            ["CUDA_VISIBLE_DEVICES"] = "",
            ["OMP_NUM_THREADS"] = Threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
}
