using System.Globalization;
using System.Runtime.InteropServices;

namespace Mnist.Search.Tests.Support.Faults;

/// <summary>
/// Sends real signals to real processes, found by pid or by a fragment of their command line (a worker a
/// coordinator started, a grandchild a worker left behind).
/// </summary>
public static class Signals
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the process is gone.</summary>
    public static bool Send(int pid, UnixSignal signal) => Kill(pid, (int)signal) == 0;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="process"/> and waits for it to exit (throws after <paramref name="seconds"/>).</summary>
    public static async Task StopAsync(System.Diagnostics.Process process, UnixSignal signal, double seconds = 30)
    {
        Send(process.Id, signal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>Sends <paramref name="signal"/> to every process of the group led by <paramref name="leaderPid"/> (a worker and what it started).</summary>
    public static bool SendToGroup(int leaderPid, UnixSignal signal) => Kill(-leaderPid, (int)signal) == 0;

    /// <summary>Sends <paramref name="signal"/> to every process whose command line contains <paramref name="commandLine"/>; returns their pids.</summary>
    public static IReadOnlyList<int> SendToMatching(string commandLine, UnixSignal signal)
    {
        var pids = Find(commandLine);
        foreach (var pid in pids) Send(pid, signal);
        return pids;
    }

    /// <summary>Live processes (not this one) whose command line contains <paramref name="commandLine"/>.</summary>
    public static IReadOnlyList<int> Find(string commandLine)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(commandLine, StringComparison.Ordinal) && Workers.ProcessProbe.IsAlive(pid)) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return found;
    }
}
