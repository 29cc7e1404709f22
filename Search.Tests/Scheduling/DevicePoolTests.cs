using System.Collections.Concurrent;
using Mnist.Search.Scheduling;

namespace Mnist.Search.Tests.Scheduling;

public sealed class DevicePoolTests
{
    private static DevicePool FakeGpus(int count) =>
        new(Enumerable.Range(0, count).Select(i => new DeviceSlot($"cuda:{i}", i, 1)).ToList());

    [Fact]
    public async Task WhenEightTrialsShareFourGpusThenNoGpuIsSharedAndAllAreUsed()
    {
        // Given four fake GPUs and eight concurrent acquirers, each taking a device five times
        var pool = FakeGpus(4);
        var holders = new ConcurrentDictionary<string, int>();
        var used = new ConcurrentDictionary<string, int>();
        var maxPerDevice = 0;
        var running = 0;
        var maxRunning = 0;

        async Task Acquirer()
        {
            for (var round = 0; round < 5; round++)
            {
                using var lease = await pool.AcquireAsync();
                var onDevice = holders.AddOrUpdate(lease.Device.Id, 1, (_, n) => n + 1);
                InterlockedMax(ref maxPerDevice, onDevice);
                InterlockedMax(ref maxRunning, Interlocked.Increment(ref running));
                used.AddOrUpdate(lease.Device.Id, 1, (_, n) => n + 1);
                await Task.Delay(10);
                Interlocked.Decrement(ref running);
                holders.AddOrUpdate(lease.Device.Id, 0, (_, n) => n - 1);
            }
        }

        // When they all run
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Acquirer))).WaitAsync(TimeSpan.FromSeconds(20));

        // Then no device ever had two holders, four ran at once, and every device was used
        Assert.Equal(1, maxPerDevice);
        Assert.Equal(4, maxRunning);
        Assert.Equal(["cuda:0", "cuda:1", "cuda:2", "cuda:3"], used.Keys.Order());
        Assert.Equal(40, used.Values.Sum());
        Assert.Equal(4, pool.FreeCount);
    }

    [Fact]
    public async Task WhenAWaitingAcquireIsCancelledThenItThrowsAndTakesNoDevice()
    {
        // Given a one-device pool whose device is held
        var pool = FakeGpus(1);
        var held = await pool.AcquireAsync();
        using var cts = new CancellationTokenSource();

        // When a second acquire waits (it found no device: a pending task, and the device is still the holder's) and is cancelled
        var waiting = pool.AcquireAsync(cts.Token).AsTask();
        Assert.False(waiting.IsCompleted, "the acquire did not wait for the held device");
        Assert.Equal(0, pool.FreeCount);
        await cts.CancelAsync();

        // Then it throws, and the released device goes back to the pool (the cancelled read took nothing) and to the next acquirer at once
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        held.Dispose();
        Assert.Equal(1, pool.FreeCount);
        using var next = await pool.AcquireAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("cuda:0", next.Device.Id);
    }

    [Fact]
    public async Task WhenTheTokenIsAlreadyCancelledThenAcquireThrowsEvenWithAFreeDevice()
    {
        // Given a free device and a cancelled token
        var pool = FakeGpus(1);

        // When / Then
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pool.AcquireAsync(new CancellationToken(true)).AsTask());
        Assert.Equal(1, pool.FreeCount);
    }

    [Fact]
    public async Task WhenSeveralWaitThenTheyAreServedInArrivalOrder()
    {
        // Given a held single device and three waiters that arrive one after another: each AcquireAsync queues its
        // read before it returns, so calling them in order is the arrival order (Task.Run with 50 ms apart let the
        // thread pool start them in another order on a loaded machine)
        var pool = FakeGpus(1);
        var lease = await pool.AcquireAsync();
        var waiters = Enumerable.Range(0, 3).Select(_ => pool.AcquireAsync().AsTask()).ToList();
        Assert.DoesNotContain(waiters, w => w.IsCompleted);

        // When the device is released, and each waiter served releases it in turn
        var order = new List<int>();
        lease.Dispose();
        while (order.Count < waiters.Count)
        {
            var served = await Task.WhenAny(waiters.Where((_, i) => !order.Contains(i))).WaitAsync(TimeSpan.FromSeconds(10));
            order.Add(waiters.IndexOf(served));
            (await served).Dispose();
        }

        // Then they were served in the order they waited
        Assert.Equal([0, 1, 2], order);
    }

    [Fact]
    public async Task WhenALeaseIsDisposedTwiceThenTheDeviceIsReturnedOnce()
    {
        // Given a leased device
        var pool = FakeGpus(1);
        var lease = await pool.AcquireAsync();

        // When the lease is disposed twice
        lease.Dispose();
        lease.Dispose();

        // Then the pool holds the device once
        Assert.Equal(1, pool.FreeCount);
    }

    [Fact]
    public void WhenThePoolIsEmptyOrHasDuplicatesThenConstructionFails()
    {
        Assert.Throws<ArgumentException>(() => new DevicePool([]));
        Assert.Throws<ArgumentException>(() => new DevicePool([new("cuda:0", 0, 1), new("cuda:0", 0, 1)]));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)))
            if (Interlocked.CompareExchange(ref target, value, current) == current) return;
    }
}
