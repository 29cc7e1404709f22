namespace Mnist.Search.Scheduling;

/// <summary>
/// Hands out devices to trials, at most one trial per device at a time.
/// </summary>
public interface IDevicePool
{
    /// <summary>All devices of the pool; their count is the most trials that can run at once.</summary>
    IReadOnlyList<DeviceSlot> Devices { get; }

    /// <summary>
    /// Waits until a device is free and leases it; the trial gives it back by disposing the lease.
    /// Throws <see cref="OperationCanceledException"/> when <paramref name="ct"/> fires first.
    /// </summary>
    ValueTask<DeviceLease> AcquireAsync(CancellationToken ct = default);
}

/// <summary>A device held by one trial until disposed.</summary>
public sealed class DeviceLease(DeviceSlot device, Action<DeviceSlot> release) : IDisposable
{
    private int _released;

    public DeviceSlot Device { get; } = device;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release(Device);
    }
}
