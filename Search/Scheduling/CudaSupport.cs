namespace Mnist.Search.Scheduling;

/// <summary>
/// Whether the built Trials worker can train on a GPU here, decided without loading libtorch (the coordinator never
/// does): <c>nvidia-smi</c> must list a GPU, and the worker must be a CUDA build (its <c>Trials.deps.json</c> names
/// TorchSharp-cuda) or find a <c>libtorch_cuda.so</c> on <c>LD_LIBRARY_PATH</c>, where TorchSharp's loader looks for it
/// (bench/gpu runs a CPU build against the GPU machine's own libtorch that way). Without this, <c>"devices": ["cuda:0"]</c>
/// on a CPU machine created the study, failed its first trial with the worker's exit code 4 and blamed the trial's
/// spec.json (audit-cli 6).
/// </summary>
internal static class CudaSupport
{
    /// <summary>How to build the worker for CUDA (README, "GPU (CUDA) build").</summary>
    public const string BuildHint = "dotnet build -c Release -p:TorchBackend=cuda";

    /// <summary>Why the worker in <paramref name="workerDirectory"/> cannot use CUDA here, or null when it can (or it cannot be told).</summary>
    public static string? Lacking(IReadOnlyList<GpuInfo> gpus, string? workerDirectory, string? ldLibraryPath)
    {
        var cpuOnly = IsCpuOnlyBuild(workerDirectory) && !OnLibraryPath(ldLibraryPath, "libtorch_cuda.so");
        var build = cpuOnly ? "the Trials worker is a CPU-only build (TorchSharp-cpu)" : null;
        var machine = gpus.Count == 0 ? "this machine has no GPU (nvidia-smi lists none)" : null;
        if (machine is null && build is null) return null;
        var why = string.Join(" and ", new[] { machine, build }.OfType<string>());
        return $"CUDA is not available: {why}; use \"cpu\" or \"auto\", or run on a GPU machine with a worker built for CUDA ({BuildHint})";
    }

    /// <summary>
    /// True when the worker's deps file references TorchSharp-cpu and not TorchSharp-cuda; false when it is a CUDA
    /// build, or there is no deps file to read (a worker laid out otherwise is not refused on a guess).
    /// </summary>
    internal static bool IsCpuOnlyBuild(string? workerDirectory)
    {
        if (workerDirectory is null) return false;
        string deps;
        try { deps = File.ReadAllText(Path.Combine(workerDirectory, "Trials.deps.json")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        return deps.Contains("\"TorchSharp-cpu", StringComparison.Ordinal) && !deps.Contains("\"TorchSharp-cuda", StringComparison.Ordinal);
    }

    private static bool OnLibraryPath(string? ldLibraryPath, string library) =>
        (ldLibraryPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, library)));
}
