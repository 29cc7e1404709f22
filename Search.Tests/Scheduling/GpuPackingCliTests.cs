using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Scheduling;

/// <summary>
/// Several trials per GPU through the real command line: a fake <c>nvidia-smi</c> first on the coordinator's
/// PATH, real worker processes (a protocol-speaking script) that log the GPU they were pinned to.
/// </summary>
public sealed class GpuPackingCliTests
{
    [Fact]
    public async Task WhenTwoTrialsPerGpuAreAskedThenNoGpuEverRunsMoreAndCrashedTrialsFreeTheirSlot()
    {
        // Given two fake GPUs, two trials per GPU, four at once, and eight trials of which two crash
        using var dir = new TempDirectory("cli-packing");
        var smiFolder = Directory.CreateDirectory(dir["fake-bin"]).FullName;
        FakeNvidiaSmi.Write(smiFolder, (0, "Fake GPU", 16384, 0), (1, "Fake GPU", 16384, 0));
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 2, EpochSeconds = 1.0,
            Behaviours = { [1] = FakeWorker.Behaviour.Crash, [4] = FakeWorker.Behaviour.Crash },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 8, tweak: c =>
        {
            c["devices"] = JsonNode.Parse("""{"gpus": "auto", "trials_per_gpu": 2}""");
            c["budget"]!["max_concurrent"] = 4;
            // Instant proposals: on a loaded machine GP proposals could be slower than these short trials.
            c["sampler"] = JsonNode.Parse("""{"kind": "random", "seed": 3}""");
        });
        var path = $"{smiFolder}:{Environment.GetEnvironmentVariable("PATH")}";

        // When the study runs
        var result = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["PATH"] = path }, "study", "start", config);

        // Then it finishes; at no time did a GPU run more than two trials, and each GPU did run two at once
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        var intervals = worker.Intervals();
        Assert.Equal(["0", "1"], intervals.Select(i => i.Device).Distinct().Order());
        foreach (var gpu in new[] { "0", "1" })
        {
            var onGpu = intervals.Where(i => i.Device == gpu).ToList();
            var peak = onGpu.Max(i => onGpu.Count(o => o.Start <= i.Start && i.Start < o.End));
            Assert.Equal(2, peak);
        }
        // And the crashed trials ran, and every trial of the budget got a slot after them (4 slots, 8 trials)
        Assert.Contains(intervals, i => i.Trial == 1);
        Assert.Contains(intervals, i => i.Trial == 4);
        Assert.Equal(8, intervals.Select(i => i.Trial).Distinct().Count());
        // And the stored device of each trial (the report's timeline rows) is its slot
        var devices = await StoredDevicesAsync(dir["studies/cli-study/study.db"]);
        Assert.Equal(8, devices.Count);
        Assert.Subset(new HashSet<string> { "cuda:0/0", "cuda:1/0", "cuda:0/1", "cuda:1/1" }, devices.ToHashSet());
        Assert.Equal(4, devices.Distinct().Count());
    }

    [Fact]
    public async Task WhenTrialsPerGpuIsBadThenTheCommandExitsWith2NamingTheJsonPath()
    {
        // Given a configuration asking for zero trials per GPU
        using var dir = new TempDirectory("cli-packing-bad");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1,
            tweak: c => c["devices"] = JsonNode.Parse("""{"gpus": "auto", "trials_per_gpu": 0}"""));

        // When it is started
        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then one line names the path and value, the exit code is 2 and nothing was created
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("$.devices.trials_per_gpu", result.Stderr);
        Assert.Contains("got 0", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["studies"]));
    }

    private static async Task<List<string>> StoredDevicesAsync(string db)
    {
        await using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT value_json FROM trial_system_attributes WHERE key = 'device'";
        var devices = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) devices.Add(JsonNode.Parse(reader.GetString(0))!.GetValue<string>());
        return devices;
    }
}
