using Mnist.Search.Scheduling;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>cuda:N</c> devices for the built Trials worker where it cannot use CUDA are refused before anything is written
/// (audit-cli 6: the study was created, its first trial failed with a message about an internal spec.json's
/// <c>$.device</c>, and a WAITING trial was left behind).
/// </summary>
public sealed class CudaRefusalCliTests
{
    private const string NoGpu = "CUDA is not available: this machine has no GPU (nvidia-smi lists none) and the Trials worker is a CPU-only build (TorchSharp-cpu); "
        + "use \"cpu\" or \"auto\", or run on a GPU machine with a worker built for CUDA (dotnet build -c Release -p:TorchBackend=cuda)";

    /// <summary>A machine whose nvidia-smi lists no GPU (the real one may be there, on a GPU runner).</summary>
    private static Dictionary<string, string> MachineWithoutGpu(TempDirectory dir)
    {
        var smiFolder = Directory.CreateDirectory(dir["fake-bin"]).FullName;
        FakeNvidiaSmi.Write(smiFolder);
        return new() { ["PATH"] = $"{smiFolder}:{Environment.GetEnvironmentVariable("PATH")}", ["LD_LIBRARY_PATH"] = "" };
    }

    [Fact]
    public async Task ACudaDeviceInSearchJsonOnAMachineWithoutCudaIsRefusedNamingItsJsonPathAndNothingIsWritten()
    {
        // Given a search.json for the built (CPU-only) Trials worker listing "cpu" and "cuda:0", on a machine without a GPU
        using var dir = new TempDirectory("cli-cuda-refused");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 2, tweak: c =>
        {
            c.Remove("worker");
            c["devices"] = new System.Text.Json.Nodes.JsonArray("cpu", "cuda:0");
        });

        // When the study is started
        var r = await SearchCli.RunAsync(dir.Path, MachineWithoutGpu(dir), "study", "start", config);

        // Then one line names the file, $.devices[1] and its value, says why and how to build for CUDA, exit 2,
        // and no study, folder or trial was made
        Assert.True(r.ExitCode == 2, r.Stderr + r.Stdout);
        Assert.Equal($"error: {config}: $.devices[1]: \"cuda:0\": {NoGpu}", r.Stderr.Trim());
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Fact]
    public async Task AWorkerGivenDevicesCudaOnAMachineWithoutCudaIsRefusedNamingTheOptionBeforeAnyTrial()
    {
        // Given a study of the built Trials worker, created (nothing run) for the CPU
        using var dir = new TempDirectory("cli-cuda-worker-refused");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 2, tweak: c =>
        {
            c.Remove("worker");
            c["devices"] = "cpu";
        });
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);

        // When a worker joins it with --devices cuda:0 on a machine without a GPU
        var r = await SearchCli.RunAsync(dir.Path, MachineWithoutGpu(dir), "study", "worker", "cli-study",
            "--storage", "sqlite:" + dir["studies/cli-study/study.db"], "--devices", "cuda:0");

        // Then one line names the option, exit 2, and no trial (folder) or study log was written
        Assert.True(r.ExitCode == 2, r.Stderr + r.Stdout);
        Assert.Equal($"error: --devices cuda:0: {NoGpu}", r.Stderr.Trim());
        Assert.False(Directory.Exists(dir["studies/cli-study/trials"]));
        Assert.False(File.Exists(dir["studies/cli-study/study.log"]));
    }

    [Fact]
    public void AGpuMachineIsNotRefusedWithACudaBuildOrALibtorchCudaOnTheLibraryPath()
    {
        // Given a machine whose nvidia-smi lists one GPU, and worker folders of either build
        using var dir = new TempDirectory("cuda-support");
        IReadOnlyList<GpuInfo> gpu = [new GpuInfo(0, "Fake GPU", null)];
        var cudaBuild = Directory.CreateDirectory(dir["cuda-build"]).FullName;
        File.WriteAllText(Path.Combine(cudaBuild, "Trials.deps.json"), """{"libraries": {"TorchSharp-cuda-linux/0.107.0": {}}}""");
        var cpuBuild = Directory.CreateDirectory(dir["cpu-build"]).FullName;
        File.WriteAllText(Path.Combine(cpuBuild, "Trials.deps.json"), """{"libraries": {"TorchSharp-cpu/0.107.0": {}}}""");
        var torchLib = Directory.CreateDirectory(dir["torch-lib"]).FullName;
        File.WriteAllText(Path.Combine(torchLib, "libtorch_cuda.so"), "");

        // When each is asked whether CUDA can be used
        // Then a CUDA build, and a CPU build given a CUDA libtorch on LD_LIBRARY_PATH (as bench/gpu runs it), are not refused
        Assert.Null(CudaSupport.Lacking(gpu, cudaBuild, null));
        Assert.Null(CudaSupport.Lacking(gpu, cpuBuild, $"/nonexistent:{torchLib}"));
        // And a CPU build alone is refused for its build, a CUDA build on a machine without a GPU for the machine
        Assert.Contains("CUDA is not available: the Trials worker is a CPU-only build (TorchSharp-cpu);", CudaSupport.Lacking(gpu, cpuBuild, null));
        Assert.Contains("CUDA is not available: this machine has no GPU (nvidia-smi lists none);", CudaSupport.Lacking([], cudaBuild, null));
    }
}
