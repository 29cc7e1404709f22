using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// What <c>study worker --devices</c> means: left out, the study's own devices; <c>auto</c>, this machine's GPUs
/// (before, <c>auto</c> silently meant the study's setting, so the README's and the Kubernetes manifest's
/// <c>--devices auto</c> ran GPU machines' workers on the CPU for a study created with <c>"devices": "cpu"</c>).
/// </summary>
public sealed class WorkerDevicesCliTests
{
    [Fact]
    public async Task AutoRunsOnThisMachinesGpusAndNoOptionOnTheStudysOwnDevices()
    {
        // Given a study created on a CPU machine ("devices": "cpu"), joined from a machine with two (fake) GPUs
        using var dir = new TempDirectory("cli-worker-devices");
        var smiFolder = Directory.CreateDirectory(dir["fake-bin"]).FullName;
        FakeNvidiaSmi.Write(smiFolder, (0, "Fake GPU", 16384, 0), (1, "Fake GPU", 16384, 0));
        var gpuMachine = new Dictionary<string, string> { ["PATH"] = $"{smiFolder}:{Environment.GetEnvironmentVariable("PATH")}" };
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 4, tweak: c =>
        {
            c["devices"] = "cpu";
            c["budget"]!["max_concurrent"] = 2;
            c["sampler"] = JsonNode.Parse("""{"kind": "random", "seed": 3}""");
        });
        var url = "sqlite:" + dir["studies/cli-study/study.db"];
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);

        // When a worker joins it with --devices auto
        var auto = await SearchCli.RunAsync(dir.Path, gpuMachine, "study", "worker", "cli-study", "--storage", url, "--devices", "auto");
        Assert.True(auto.ExitCode == 0, auto.Stderr + auto.Stdout);

        // Then it ran the trials on the GPUs (CUDA_VISIBLE_DEVICES 0 and 1), not on the study's CPU setting
        Assert.Equal(["0", "1"], worker.Intervals().Select(i => i.Device).Distinct().Order());

        // And a worker of a second such study, joining from the same machine without --devices, keeps to the CPU
        var other = StudyFiles.WriteConfig(Directory.CreateDirectory(dir["other"]).FullName, worker, trials: 1, name: "other", tweak: c => c["devices"] = "cpu");
        Assert.Equal(0, (await SearchCli.RunAsync(dir["other"], "study", "create", other)).ExitCode);
        var plain = await SearchCli.RunAsync(dir["other"], gpuMachine, "study", "worker", "other", "--storage", "sqlite:" + dir["other/studies/other/study.db"]);
        Assert.True(plain.ExitCode == 0, plain.Stderr + plain.Stdout);
        Assert.Equal(["0", "1", "cpu"], worker.Intervals().Select(i => i.Device).Distinct().Order());
    }

    [Theory]
    [InlineData(",", "has an empty entry")]
    [InlineData("", "has an empty entry")]
    [InlineData("cuda:0,,cuda:1", "has an empty entry")]
    [InlineData("cuda:0,cuda:0", "cuda:0 is listed twice")]
    [InlineData("gpu0", "'gpu0' is not auto, cpu, or a list of \"cpu\" or \"cuda:N\" (N 0-999) entries such as cuda:0,cuda:1")]
    [InlineData("cuda:0,tpu", "'tpu' is not \"cpu\" or \"cuda:N\" (N 0-999)")]
    [InlineData("cuda:0,cuda:00", "cuda:0 is listed twice")]
    [InlineData("cuda:99999999999", "'cuda:99999999999' is not auto, cpu, or a list of")]
    public async Task ADevicesListThatMeansNothingIsRefusedWith2(string devices, string expected)
    {
        using var dir = new TempDirectory("cli-worker-baddevices");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        var url = "sqlite:" + dir["studies/cli-study/study.db"];
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);

        var result = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", url, "--devices", devices);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(worker.LogPath), "a trial ran");
    }
}
