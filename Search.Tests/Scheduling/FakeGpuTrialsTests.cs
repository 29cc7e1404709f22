using System.Collections.Concurrent;
using Mnist.Search.Config;
using Mnist.Search.Scheduling;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Scheduling;

/// <summary>Fake GPUs end to end: real child processes that record the GPU they were given.</summary>
public sealed class FakeGpuTrialsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task WhenEightTrialsRunOnFourListedGpusThenEachProcessHasItsOwnGpu()
    {
        // Given a config listing four GPUs (taken as given) and a trial command that holds a per-GPU lock:
        // mkdir is atomic, so two processes on one GPU at the same time make the second exit with 9
        var locks = Directory.CreateDirectory(_folder.Combine("locks")).FullName;
        var discovery = new DeviceDiscovery(() => [], 2, null, Serilog.Core.Logger.None);
        var pool = discovery.CreatePool(new DevicesConfig(DevicesMode.List, ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]), maxConcurrent: 8);
        var launcher = new ProcessWorkerLauncher();
        const string script = """
            mkdir "$LOCKS/gpu$CUDA_VISIBLE_DEVICES" || exit 9
            echo "$CUDA_VISIBLE_DEVICES"
            sleep 0.3
            rmdir "$LOCKS/gpu$CUDA_VISIBLE_DEVICES"
            """;
        var seen = new ConcurrentBag<(string Device, string Printed, int Exit)>();

        async Task Trial(int number)
        {
            using var lease = await pool.AcquireAsync();
            var env = new Dictionary<string, string>(lease.Device.WorkerEnvironment) { ["LOCKS"] = locks };
            await using var worker = launcher.Start(new WorkerStartInfo("/bin/sh", ["-c", script], env, _folder.Path,
                _folder.Combine($"trial{number}.out"), _folder.Combine($"trial{number}.err")));
            var lines = new List<string>();
            await foreach (var line in worker.ReadLinesAsync()) lines.Add(line);
            seen.Add((lease.Device.Id, string.Join("|", lines), await worker.WaitForExitAsync()));
        }

        // When eight trials compete for them
        await Task.WhenAll(Enumerable.Range(0, 8).Select(Trial)).WaitAsync(TimeSpan.FromSeconds(30));

        // Then every process succeeded, saw exactly its lease's GPU, and all four GPUs were used
        Assert.Equal(8, seen.Count);
        Assert.All(seen, s => Assert.Equal(0, s.Exit));
        Assert.All(seen, s => Assert.Equal("cuda:" + s.Printed, s.Device));
        Assert.Equal(4, seen.Select(s => s.Device).Distinct().Count());
    }
}
