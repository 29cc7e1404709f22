namespace Mnist.Search.Workers;

/// <summary>What to start for one trial: program, arguments (no shell), extra environment, log files.</summary>
public sealed record WorkerStartInfo(
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    string StdoutLogPath,
    string StderrLogPath);

/// <summary>Starts trial worker processes (Cake's <c>IProcessRunner</c>).</summary>
public interface IWorkerLauncher
{
    /// <summary>
    /// Starts the process. Throws <see cref="WorkerStartException"/> when it cannot be started
    /// (missing file, not executable).
    /// </summary>
    IWorkerProcess Start(WorkerStartInfo info);
}

/// <summary>A running worker: its stdout lines, stdin, exit and kill (Cake's <c>IProcess</c>).</summary>
public interface IWorkerProcess : IAsyncDisposable
{
    int ProcessId { get; }

    /// <summary>
    /// Stdout, line by line, as the worker writes it (each line is also appended to the stdout log).
    /// Completes when the worker closes stdout, or shortly after it exits even if a leftover process still
    /// holds stdout. Throws <see cref="WorkerOutputException"/> (after killing the worker) for a line
    /// longer than <see cref="BoundedLineReader.MaxLineChars"/>.
    /// </summary>
    IAsyncEnumerable<string> ReadLinesAsync(CancellationToken ct = default);

    /// <summary>
    /// When this process read the line <see cref="ReadLinesAsync"/> gave last (a <see cref="System.Diagnostics.Stopwatch"/>
    /// timestamp): lines wait in its queue while the caller writes to storage, so this, not the time the caller gets a
    /// line, says whether the worker printed it before a line the caller sent (<c>prune</c>).
    /// </summary>
    long LastLineReadAt { get; }

    /// <summary>Whether the worker process itself has exited (what it left in its group may still run).</summary>
    bool HasExited { get; }

    /// <summary>Writes one line to the worker's stdin (e.g. <c>prune</c>); ignored if the worker has exited.</summary>
    Task SendLineAsync(string line);

    /// <summary>Waits for exit and returns the exit code.</summary>
    Task<int> WaitForExitAsync(CancellationToken ct = default);

    /// <summary>Kills the worker, its process group and all its descendants; safe to call after exit.</summary>
    void Kill();
}

/// <summary>
/// The worker cannot run trials on this machine: its program did not start, or (<paramref name="started"/>) it started and
/// said it cannot use its device. Not a configuration's fault: its trial is queued again without spending a retry.
/// </summary>
public sealed class WorkerStartException(string message, Exception? inner = null, bool started = false) : Exception(message, inner)
{
    public bool Started { get; } = started;
}
