namespace Mnist.Search.Scheduling;

/// <summary>
/// One place a trial can run: a GPU (<c>cuda:N</c>, <see cref="CudaIndex"/> set, exported to the child as
/// <c>CUDA_VISIBLE_DEVICES=N</c>) or a CPU slot (<c>cpu:N</c>) with its own thread budget.
/// </summary>
public sealed record DeviceSlot(string Id, int? CudaIndex, int Threads)
{
    public bool IsGpu => CudaIndex is not null;

    /// <summary>The worker spec's <c>device</c> value for this slot.</summary>
    public string WorkerDevice => IsGpu ? "cuda" : "cpu";
}
