using System.ComponentModel;
using System.Diagnostics;

namespace Mnist.Search.Workers;

/// <summary>
/// Starts workers as real child processes: no shell (arguments go through
/// <see cref="ProcessStartInfo.ArgumentList"/>), all three standard streams redirected.
/// </summary>
/// <remarks>
/// The coordinator holds the only write end of each worker's stdin (.NET creates the pipes
/// close-on-exec, so sibling workers do not inherit them). When the coordinator dies, even by
/// SIGKILL, the kernel closes that end, the worker reads end-of-file and exits (protocol: "End of
/// stdin means the parent died").
/// </remarks>
internal sealed class ProcessWorkerLauncher(TimeSpan? disposeGrace = null) : IWorkerLauncher
{
    /// <summary>How long <see cref="IAsyncDisposable.DisposeAsync"/> waits after closing stdin before it kills.</summary>
    public TimeSpan DisposeGrace { get; } = disposeGrace ?? TimeSpan.FromSeconds(5);

    /// <summary>
    /// Variables of the coordinator's environment a worker does not inherit. PGPASSWORD is the study database's password
    /// (the Slurm job script puts it there; a user may too): only the coordinator opens the storage, so a worker, a
    /// custom program and everything it starts would only hold it to leak it (its own logs, a crash report, a child that
    /// prints its environment). Always withheld, not only when this tool set it: the launcher cannot tell who did, and no
    /// worker program needs it.
    /// </summary>
    internal static readonly IReadOnlyList<string> WithheldVariables = ["PGPASSWORD"];

    public IWorkerProcess Start(WorkerStartInfo info)
    {
        var (fileName, arguments) = (info.FileName, info.Arguments);
        if (ProcessGroup.IsSupported)
        {
            // setsid execs the program itself, so a missing one would only show as its exit code: check first.
            fileName = ProgramPath.Resolve(info.FileName)
                ?? throw new WorkerStartException($"cannot start {info.FileName}: no such executable file");
            (fileName, arguments) = ProcessGroup.Wrap(fileName, arguments);
        }
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = info.WorkingDirectory,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        foreach (var name in WithheldVariables)
            startInfo.Environment.Remove(name);
        foreach (var (name, value) in info.Environment)
            startInfo.Environment[name] = value;

        if (!Directory.Exists(info.WorkingDirectory))
            throw new WorkerStartException($"cannot start {info.FileName}: working directory {info.WorkingDirectory} does not exist");

        FileStream stdoutLog, stderrLog;
        try
        {
            stdoutLog = OpenLog(info.StdoutLogPath);
            stderrLog = OpenLog(info.StderrLogPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkerStartException($"cannot open the worker log files ({e.Message})", e);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo)
                ?? throw new WorkerStartException($"cannot start {info.FileName}: no process was created");
        }
        catch (Win32Exception e)
        {
            stdoutLog.Dispose();
            stderrLog.Dispose();
            throw new WorkerStartException($"cannot start {info.FileName}: {e.Message}", e);
        }

        return new ProcessWorker(process, stdoutLog, stderrLog, DisposeGrace);
    }

    private static FileStream OpenLog(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        // Unbuffered, so `tail -f` and a post-mortem after a crash see everything written so far.
        return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
    }
}
