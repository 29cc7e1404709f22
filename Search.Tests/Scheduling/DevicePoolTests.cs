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

        // When a second acquire waits and is cancelled
        var waiting = pool.AcquireAsync(cts.Token).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        await cts.CancelAsync();

        // Then it throws, and the released device goes to the next acquirer at once
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
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
        // Given a held single device and three waiters that arrive one after another
        var pool = FakeGpus(1);
        var lease = await pool.AcquireAsync();
        var order = new ConcurrentQueue<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            var id = i;
            waiters.Add(Task.Run(async () =>
            {
                using var l = await pool.AcquireAsync();
                order.Enqueue(id);
            }));
            await Task.Delay(50); // let waiter i queue before waiter i+1
        }

        // When the device is released
        lease.Dispose();
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(10));

        // Then the first to wait got it first
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
