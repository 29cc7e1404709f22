using Mnist.Search.Scheduling;
using Mnist.Search.Workers;

namespace Mnist.Search.Tests.Workers;

public sealed class TrialCommandTests
{
    [Fact]
    public void KnownPlaceholdersAreReplacedEverywhereAndOthersLeftAlone()
    {
        // Given a custom trainer command
        var command = new TrialCommand(["/opt/{device}/train", "--spec={spec}", "{out_dir}", "{unknown}", "{trial_number}", "{data_dir}"]);

        // When it is built for trial 3 on GPU 1
        var start = command.ToStartInfo("/s/spec.json", "/s/trials/3", new DeviceSlot("cuda:1", 1, 4), 3, "/data");

        // Then
        Assert.Equal("/opt/cuda:1/train", start.FileName);
        Assert.Equal(["--spec=/s/spec.json", "/s/trials/3", "{unknown}", "3", "/data"], start.Arguments);
        Assert.Equal("/s/trials/3/stdout.log", start.StdoutLogPath);
    }

    [Fact]
    public void AGpuTrialSeesOnlyItsGpuAndACpuTrialSeesNone()
    {
        var command = new TrialCommand(["w"]);
        var gpu = command.ToStartInfo("s", "/o", new DeviceSlot("cuda:2", 2, 4), 0);
        var cpu = command.ToStartInfo("s", "/o", new DeviceSlot("cpu:0", null, 2), 0);
        Assert.Equal("2", gpu.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("4", gpu.Environment["OMP_NUM_THREADS"]);
        Assert.Equal("", cpu.Environment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("0", cpu.Environment["MNIST_SEARCH_TRIAL"]);
    }

    [Fact]
    public void TheDefaultCommandRunsTheLocatedWorkerOnTheSpec()
    {
        var command = TrialCommand.ForWorker(new WorkerCommand("dotnet", ["/b/Trials.dll"]));
        var start = command.ToStartInfo("/s/spec.json", "/o", new DeviceSlot("cpu:0", null, 2), 0);
        Assert.Equal("dotnet", start.FileName);
        Assert.Equal(["/b/Trials.dll", "run", "--spec", "/s/spec.json"], start.Arguments);
    }
}
