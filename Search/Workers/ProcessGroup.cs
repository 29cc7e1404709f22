using System.Runtime.InteropServices;

namespace Mnist.Search.Workers;

/// <summary>
/// Each worker runs in a session and process group of its own (started through <c>setsid</c>), so that a
/// timeout or an interruption kills everything it started — also a grandchild that outlived its parent and
/// still holds the worker's stdout, which <see cref="System.Diagnostics.Process.Kill(bool)"/> cannot find
/// because it is no longer a descendant (issue 11).
/// </summary>
internal static class ProcessGroup
{
    private const string SetsidPath = "/usr/bin/setsid";
    private const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int KillNative(int pid, int signal);

    /// <summary>Whether workers can get a process group of their own on this system.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && File.Exists(SetsidPath);

    /// <summary>
    /// The program and arguments that start <paramref name="fileName"/> as the leader of a new session. The
    /// caller is never a group leader, so <c>setsid</c> execs in place and the worker keeps its pid.
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments) Wrap(string fileName, IReadOnlyList<string> arguments) =>
        (SetsidPath, [fileName, .. arguments]);

    /// <summary>SIGKILLs every process in the group led by <paramref name="leaderPid"/>; harmless when it is empty.</summary>
    public static void Kill(int leaderPid)
    {
        if (IsSupported && leaderPid > 0) KillNative(-leaderPid, SigKill);
    }
}
