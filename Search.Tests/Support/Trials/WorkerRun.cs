using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// The real <c>Trials</c> executable as a child process: Search.Tests references the Trials project,
/// so its apphost (<c>Trials</c>) and <c>Trials.dll</c> are copied next to the test assembly.
/// Stdout lines are collected as parsed JSON; stdin stays open for control lines.
/// </summary>
internal sealed class WorkerRun : IDisposable
{
    private readonly Process process;
    private readonly List<JsonObject> events = [];
    private readonly List<string> rawLines = [];
    private readonly System.Text.StringBuilder stderr = new();
    private readonly SemaphoreSlim lineArrived = new(0);
    private readonly TaskCompletionSource stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerRun(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                stdoutClosed.TrySetResult();
                lineArrived.Release();
                return;
            }
            lock (events)
            {
                rawLines.Add(e.Data);
                events.Add(JsonNode.Parse(e.Data)!.AsObject());
            }
            lineArrived.Release();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string ExecutablePath
    {
        get
        {
            string apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Trials.exe" : "Trials");
            if (!File.Exists(apphost))
                throw new FileNotFoundException($"Trials apphost not found next to the tests: {apphost}");
            return apphost;
        }
    }

    public static WorkerRun Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts the worker with extra environment variables.</summary>
    public static WorkerRun Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment) info.Environment[name] = value;
        return new WorkerRun(Process.Start(info)!);
    }

    public IReadOnlyList<JsonObject> Events
    {
        get { lock (events) return events.ToList(); }
    }

    public IReadOnlyList<string> Lines
    {
        get { lock (events) return rawLines.ToList(); }
    }

    public string Stderr
    {
        get { lock (stderr) return stderr.ToString(); }
    }

    public bool HasExited => process.HasExited;

    public int Id => process.Id;

    /// <summary>Waits until an event named <paramref name="name"/> has arrived; returns it.</summary>
    public async Task<JsonObject> WaitForEventAsync(string name, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var found = Events.FirstOrDefault(e => (string?)e["event"] == name);
            if (found is not null) return found;
            if (stdoutClosed.Task.IsCompleted)
                throw new InvalidOperationException($"worker closed stdout without a '{name}' event; stderr: {Stderr}");
            try
            {
                await lineArrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no '{name}' event within {timeout}; stderr: {Stderr}");
            }
        }
    }

    public void SendLine(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    public void CloseStdin() => process.StandardInput.Close();

    /// <summary>Waits for exit (and for stdout to drain); returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            await stdoutClosed.Task.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"worker still running after {timeout}; stderr: {Stderr}");
        }
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
        process.Dispose();
        lineArrived.Dispose();
    }
}
