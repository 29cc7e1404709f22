using System.Reflection;

namespace Mnist.Search.Workers;

/// <summary>
/// Finds the built <c>Trials</c> worker: <c>MNIST_SEARCH_WORKER</c> (the apphost or <c>Trials.dll</c>) when
/// set, else the <c>TrialsWorkerDir</c> recorded in this assembly at build time (see Search.csproj).
/// </summary>
internal static class WorkerLocator
{
    public const string EnvironmentVariable = "MNIST_SEARCH_WORKER";
    public const string BuildMetadataKey = "TrialsWorkerDir";

    /// <summary>The worker command (program plus leading arguments, e.g. <c>dotnet Trials.dll</c>) for this process.</summary>
    public static WorkerCommand Locate() =>
        Locate(Environment.GetEnvironmentVariable(EnvironmentVariable), BuiltWorkerDirectory());

    /// <summary>
    /// The worker command from an explicit override path or the build folder. Throws
    /// <see cref="WorkerStartException"/> with what was looked for when neither has a worker.
    /// </summary>
    public static WorkerCommand Locate(string? overridePath, string? builtDirectory)
    {
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            var path = Path.GetFullPath(overridePath);
            if (!File.Exists(path))
                throw new WorkerStartException($"{EnvironmentVariable}={overridePath}: no such file (expected the Trials executable or Trials.dll)");
            if (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && ProgramPath.Resolve(path) is null)
                throw new WorkerStartException($"{EnvironmentVariable}={overridePath}: not an executable file (expected the Trials executable or Trials.dll)");
            return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                ? new WorkerCommand(DotnetHost(), [path])
                : new WorkerCommand(path, []);
        }

        if (string.IsNullOrEmpty(builtDirectory))
            throw new WorkerStartException($"the Trials worker's location was not recorded at build time; set {EnvironmentVariable} to the Trials executable or Trials.dll");
        var apphost = Path.Combine(builtDirectory, OperatingSystem.IsWindows() ? "Trials.exe" : "Trials");
        if (File.Exists(apphost))
            return new WorkerCommand(apphost, []);
        var dll = Path.Combine(builtDirectory, "Trials.dll");
        if (File.Exists(dll))
            return new WorkerCommand(DotnetHost(), [dll]);
        throw new WorkerStartException(
            $"the Trials worker is not built: neither {apphost} nor {dll} exists; run `dotnet build` or set {EnvironmentVariable}");
    }

    /// <summary>The folder the build recorded, or null when it was not recorded.</summary>
    public static string? BuiltWorkerDirectory() =>
        typeof(WorkerLocator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == BuildMetadataKey)?.Value;

    /// <summary>The <c>dotnet</c> host: the SDK tells child processes where it is; else the one on PATH.</summary>
    private static string DotnetHost()
    {
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath)) return hostPath;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }
}
