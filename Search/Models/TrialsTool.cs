using Mnist.Protocol.Outputs;
using Mnist.Protocol.Processes;
using Mnist.Protocol.Files;
using Mnist.Search.Files;
using Mnist.Search.Workers;

namespace Mnist.Search.Models;

/// <summary>
/// Runs one short command of the built <c>Trials</c> program (export, predict) through the same
/// <see cref="WorkerRunner"/> as trials, and collects its output. Commands that need a model run
/// there, so the coordinator itself never loads libtorch.
/// </summary>
internal sealed class TrialsTool(IWorkerLauncher launcher, WorkerCommand? worker = null)
{
    public sealed record Output(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The first line the tool wrote to stderr: its one-line reason for a failure.</summary>
        public string FirstError => Stderr.Split('\n').FirstOrDefault(l => l.Length > 0) ?? $"exit code {ExitCode}";
    }

    private const string TempPrefix = "mnist-trials-tool";

    /// <summary>The built worker, started as a real child process.</summary>
    public static TrialsTool Default() => new(new ProcessWorkerLauncher());

    public async Task<Output> RunAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        // Located on first use, so a command that does not need the worker never fails for want of it.
        var command = worker ?? WorkerLocator.Locate();
        // The launcher keeps stdout and stderr in log files; a throwaway folder holds them for this one call.
        TempLeftovers.Sweep(TempPrefix);
        var path = Path.Combine(Path.GetTempPath(), TempLeftovers.NameFor(TempPrefix));
        // Private, as Directory.CreateTempSubdirectory makes it: the worker's logs may name the user's files.
        var dir = OperatingSystem.IsWindows() ? Directory.CreateDirectory(path)
            : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var start = new WorkerStartInfo(command.FileName, [.. command.Arguments, .. arguments],
                new Dictionary<string, string> { [ParentProcessVariable.Name] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                dir.FullName, Path.Combine(dir.FullName, ArtifactNames.StdoutLog), Path.Combine(dir.FullName, ArtifactNames.StderrLog));
            var outcome = await new WorkerRunner(launcher).RunAsync(start, ct);
            ct.ThrowIfCancellationRequested();
            return new Output(outcome.ExitCode, outcome.OtherOutput, await File.ReadAllTextAsync(start.StderrLogPath, CancellationToken.None));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
