using System.Threading.Channels;

namespace Mnist.Search.Scheduling;

/// <summary>
/// A fixed set of devices handed out one trial at a time. Free devices wait in a FIFO channel, so
/// waiting acquirers are served in arrival order and released devices rotate (every device gets used).
/// </summary>
internal sealed class DevicePool : IDevicePool
{
    private readonly Channel<DeviceSlot> _free = Channel.CreateUnbounded<DeviceSlot>();

    public DevicePool(IReadOnlyList<DeviceSlot> devices)
    {
        if (devices.Count == 0)
            throw new ArgumentException("a device pool needs at least one device", nameof(devices));
        var duplicate = devices.GroupBy(d => d.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"device {duplicate.Key} is listed twice", nameof(devices));
        Devices = devices;
        foreach (var device in devices)
            _free.Writer.TryWrite(device);
    }

    public IReadOnlyList<DeviceSlot> Devices { get; }

    /// <summary>How many devices are free right now (for status output; may change at once).</summary>
    public int FreeCount => _free.Reader.Count;

    public async ValueTask<DeviceLease> AcquireAsync(CancellationToken ct = default)
    {
        // A cancelled read never takes an item, so cancellation cannot leak a device.
        var device = await _free.Reader.ReadAsync(ct).ConfigureAwait(false);
        return new DeviceLease(device, Release);
    }

    private void Release(DeviceSlot device) => _free.Writer.TryWrite(device);
}
