using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace Mnist.Search.Workers;

/// <summary>
/// A started worker process. Two pumps run from the start: stdout lines go to the stdout log and to
/// <see cref="ReadLinesAsync"/>'s queue (so nothing is lost before the caller starts reading), and
/// stderr is copied to the stderr log. The worker leads a process group of its own (see
/// <see cref="ProcessGroup"/>): <see cref="Kill"/> kills the whole group, and once the worker has exited
/// whatever it left behind in its group is killed too, so nothing outlives it and the line stream always ends.
/// </summary>
internal sealed class ProcessWorker : IWorkerProcess
{
    /// <summary>After exit, how long to let the pumps drain; a surviving grandchild can hold the pipes open forever.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly Channel<(string Line, long ReadAt)> _lines = Channel.CreateUnbounded<(string, long)>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly TimeSpan _disposeGrace;
    private readonly Task _pumps;
    private bool _stdinClosed;
    private int _disposed;

    public ProcessWorker(Process process, FileStream stdoutLog, FileStream stderrLog, TimeSpan disposeGrace)
    {
        _process = process;
        _disposeGrace = disposeGrace;
        ProcessId = process.Id;
        _pumps = Task.WhenAll(
            Task.Run(() => PumpStdoutAsync(stdoutLog)),
            Task.Run(() => PumpStderrAsync(stderrLog)));
        LiveWorkers.Add(this);
        _ = Task.Run(EndLeftoversAfterExitAsync);
    }

    public int ProcessId { get; }

    public async IAsyncEnumerable<string> ReadLinesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var (line, readAt) in _lines.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            LastLineReadAt = readAt;
            yield return line;
        }
    }

    public long LastLineReadAt { get; private set; }

    public bool HasExited
    {
        get
        {
            try { return _process.HasExited; }
            catch (InvalidOperationException) { return true; } // disposed
        }
    }

    public async Task SendLineAsync(string line)
    {
        await _stdinLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stdinClosed) return;
            await _process.StandardInput.WriteAsync(line + "\n").ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The worker has exited (broken pipe): the contract says such a line is dropped.
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    public async Task<int> WaitForExitAsync(CancellationToken ct = default)
    {
        await _process.WaitForExitAsync(ct).ConfigureAwait(false);
        await DrainAsync().ConfigureAwait(false);
        return _process.ExitCode;
    }

    public void Kill()
    {
        // The tree first, while it is whole: a descendant that left the worker's group (its own setsid) is found
        // only through its parent, and once the group kill had ended the worker it was reparented out of reach.
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already exited, or already disposed: nothing left to kill in the tree.
        }
        // Then the group: a grandchild whose parent exited earlier is no longer in the tree, but still in the group.
        ProcessGroup.Kill(ProcessId);
    }

    /// <summary>
    /// Closes stdin (a well-behaved worker exits at once on end-of-file), waits up to the grace period,
    /// then kills the process tree, and releases everything.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await CloseStdinAsync().ConfigureAwait(false);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(_disposeGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        await DrainAsync().ConfigureAwait(false);
        LiveWorkers.Remove(this);
        _process.Dispose();
        _stdinLock.Dispose();
    }

    private async Task CloseStdinAsync()
    {
        await _stdinLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stdinClosed) return;
            _stdinClosed = true;
            _process.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Closing flushes; a worker that already exited makes that a broken pipe.
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    private async Task DrainAsync()
    {
        await Task.WhenAny(_pumps, Task.Delay(DrainGrace)).ConfigureAwait(false);
    }

    /// <summary>
    /// Whatever the worker left in its group dies with it. A grandchild holding stdout (e.g. <c>(sleep 600 &amp;)</c>)
    /// kept the trial past any timeout (issue 11); one that did not hold it (a Python <c>subprocess.Popen</c> with its
    /// output elsewhere) outlived the trial, and the coordinator, for good. So the group is killed as soon as the worker
    /// has exited, whether or not the pumps have finished: the group id is the worker's own pid, which no new group can
    /// take while a member lives. If something outside the group still holds the pipe, the line stream is ended
    /// after a drain grace regardless.
    /// </summary>
    private async Task EndLeftoversAfterExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        ProcessGroup.Kill(ProcessId);
        LiveWorkers.Remove(this);
        if (await Task.WhenAny(_pumps, Task.Delay(DrainGrace)).ConfigureAwait(false) == _pumps) return;
        _lines.Writer.TryComplete();
    }

    private async Task PumpStdoutAsync(FileStream log)
    {
        var logWriter = new StreamWriter(log, new UTF8Encoding(false)) { AutoFlush = true };
        var logOk = true;
        var reader = new BoundedLineReader(_process.StandardOutput);
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (logOk)
                {
                    try
                    {
                        await logWriter.WriteLineAsync(line).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        // A full disk must not stop the events the coordinator depends on.
                        logOk = false;
                    }
                }
                _lines.Writer.TryWrite((line, reader.LineReadAt));
            }
        }
        catch (WorkerOutputException e)
        {
            // The reader has refused the line; the worker is not to be trusted further.
            Kill();
            _lines.Writer.TryComplete(e);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was disposed while a grandchild still held stdout open.
        }
        finally
        {
            _lines.Writer.TryComplete();
            try
            {
                await logWriter.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task PumpStderrAsync(FileStream log)
    {
        try
        {
            await _process.StandardError.BaseStream.CopyToAsync(log).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }
    }
}
