using System.Diagnostics;
using System.Text;

namespace Mnist.Search.Tests.Support.Faults;

/// <summary>
/// A real child process whose stdout and stderr are watched line by line, so a test can act at a named point:
/// <c>await p.WaitForOutputAsync("Trial 0 started")</c>, then stop, continue or kill it
/// (<see cref="Signal"/>), or run any other fault (<see cref="When"/>). Killed on dispose if still running.
/// </summary>
public sealed class WatchedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];
    private readonly Lock _gate = new();
    private readonly Task _pumps;

    private WatchedProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    /// <summary>The name used in failure messages (e.g. "coordinator A").</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything written to stdout and stderr so far, interleaved by line.</summary>
    public string Output
    {
        get { lock (_gate) return _output.ToString(); }
    }

    public static WatchedProcess Start(string name, ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return new WatchedProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"{name}: could not start {start.FileName}"));
    }

    /// <summary>Waits until a line containing <paramref name="text"/> has appeared (already seen counts).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal)) return;
            _waiters.Add((text, seen));
        }
        var exited = _process.WaitForExitAsync();
        var done = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (done == seen.Task) return;
        if (done == exited) await Task.WhenAny(_pumps, Task.Delay(1000));
        lock (_gate) if (_output.ToString().Contains(text, StringComparison.Ordinal)) return;
        throw new TimeoutException($"{Name} never printed '{text}' ({(done == exited ? $"exited with {_process.ExitCode}" : $"waited {timeout.TotalSeconds:0}s")}); output:\n{Output}");
    }

    /// <summary>Runs <paramref name="fault"/> once, as soon as a line containing <paramref name="text"/> appears.</summary>
    public Task When(string text, Func<Task> fault, TimeSpan timeout) =>
        Task.Run(async () =>
        {
            await WaitForOutputAsync(text, timeout);
            await fault();
        });

    /// <summary>Sends a real signal (SIGSTOP, SIGCONT, SIGKILL, ...) to the process.</summary>
    public void Signal(UnixSignal signal) => Signals.Send(_process.Id, signal);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0}s; output:\n{Output}"); }
        await Task.WhenAny(_pumps, Task.Delay(2000));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A test may leave it stopped: continue it, so that its own children see their pipes close normally.
            Signal(UnixSignal.Cont);
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        await Task.WhenAny(_pumps, Task.Delay(2000));
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_gate)
                {
                    _output.AppendLine(line);
                    foreach (var w in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                    {
                        w.Seen.TrySetResult();
                        _waiters.Remove(w);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }
}
