using System.Diagnostics;

namespace Mnist.Search.Tests.Support.Cli;

/// <summary>Runs the real built <c>Search</c> command line as a child process.</summary>
internal static class SearchCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Process Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string>(), args);

    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = StartInfo(workingDirectory, args);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        return Process.Start(psi)!;
    }

    /// <summary>Starts the CLI under the fault harness's watch (act when a log line appears, send signals).</summary>
    public static Faults.WatchedProcess Watch(string name, string workingDirectory, double heartbeatGraceSeconds, params string[] args)
    {
        var psi = StartInfo(workingDirectory, args);
        psi.Environment["MNIST_SEARCH_HEARTBEAT_GRACE_SECONDS"] = heartbeatGraceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Faults.WatchedProcess.Start(name, psi);
    }

    /// <summary>
    /// Starts the CLI in a pseudo-terminal (<c>script</c>), as a user's terminal runs it: it is interactive, so the
    /// live view draws; what the terminal shows is written to <paramref name="typescript"/>. Killing the returned
    /// process closes the terminal, as sshd does for a dropped session.
    /// </summary>
    public static Process StartInTerminal(string workingDirectory, string typescript, params string[] args)
    {
        var psi = StartInfo(workingDirectory);
        var command = Exec(psi, args);
        psi.FileName = "script";
        psi.ArgumentList.Clear();
        foreach (var a in new[] { "-q", "-e", "-c", command, typescript }) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "xterm";
        return Process.Start(psi)!;
    }

    /// <summary>Starts the CLI with its stdout and stderr redirected by the shell (<paramref name="redirections"/>, e.g. <c>2&gt;/dev/full</c>), as the same process.</summary>
    public static Process StartRedirected(string workingDirectory, string redirections, params string[] args)
    {
        var psi = StartInfo(workingDirectory);
        var command = Exec(psi, args) + " " + redirections;
        psi.FileName = "/bin/bash";
        psi.ArgumentList.Clear();
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        return Process.Start(psi)!;
    }

    // A shell command that becomes the CLI (exec: the same process, so a signal sent to it reaches the CLI).
    private static string Exec(ProcessStartInfo psi, string[] args) =>
        string.Join(" ", new[] { "exec", "dotnet", psi.ArgumentList[0] }.Concat(args).Select(Quote));

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";

    public static ProcessStartInfo StartInfo(string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Search.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MNIST_SEARCH_HEARTBEAT_SECONDS"] = "0.5";
        psi.Environment["MNIST_SEARCH_HEARTBEAT_GRACE_SECONDS"] = "5";
        return psi;
    }

    public static Task<Result> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), args);

    public static Task<Result> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunAsync(TimeSpan.FromMinutes(3), workingDirectory, environment, args);

    /// <summary>Runs it with a longer limit, for commands that really train (the limit only catches hangs).</summary>
    public static Task<Result> RunAsync(TimeSpan limit, string workingDirectory, params string[] args) =>
        RunAsync(limit, workingDirectory, new Dictionary<string, string>(), args);

    private static Task<Result> RunAsync(TimeSpan limit, string workingDirectory, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var psi = StartInfo(workingDirectory, args);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        return RunAsync(psi, limit);
    }

    /// <summary>Runs a start info made by <see cref="StartInfo"/> and changed by the caller (another user, a wrapper).</summary>
    public static async Task<Result> RunAsync(ProcessStartInfo psi, TimeSpan limit)
    {
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A timed-out run must not leave its coordinator and workers training in the background
            // (they slowed every later test of the suite on a loaded machine).
            p.Kill(entireProcessTree: true);
            throw;
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
