using System.Globalization;

namespace Mnist.Search.Study;

/// <summary>
/// Who a coordinator process is, so that another process can tell whether it still runs. Host and pid alone are not
/// enough: containers given one host name share pid numbers (each one's first process is pid 1, and the pid of a
/// process in another container means nothing here), and a pid is reused once its process has ended. The instance
/// adds what makes the pid unique on this kernel: the boot, the pid namespace and the process's start time (Linux
/// <c>/proc</c>); null where those cannot be read.
/// </summary>
public sealed record ProcessIdentity(string Host, int Pid, string? Instance)
{
    /// <summary>This process.</summary>
    public static ProcessIdentity Current { get; } = new(Environment.MachineName, Environment.ProcessId, InstanceOf(Environment.ProcessId));

    /// <summary>
    /// Whether <paramref name="other"/> has certainly ended: it ran on this host, in this boot and pid namespace, and no
    /// process of its pid that started when it did is alive. False whenever that cannot be told here (another host or
    /// container: the heartbeat decides for those).
    /// </summary>
    public bool HasCertainlyEnded(ProcessIdentity other)
    {
        if (other.Host != Host) return false;
        if (other == this) return false;
        if (!OperatingSystem.IsLinux()) return false;
        if (other.Instance is null || Instance is null)
            return other.Pid != Pid && !Exists(other.Pid); // records from before instances
        var (boot, space, _) = Split(other.Instance);
        var (myBoot, mySpace, _) = Split(Instance);
        if (boot != myBoot || space != mySpace) return false;
        if (!Exists(other.Pid)) return true;
        // Alive: the same process if it started when the record says; a later one reusing the pid if not. A process
        // whose /proc entry this user may not read (hidepid) cannot be told apart: taken for alive.
        return InstanceOf(other.Pid) is { } now && now != other.Instance;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>
    /// Whether a process <paramref name="pid"/> exists here. kill(pid, 0) asks the kernel, which /proc with hidepid does
    /// not answer for another user's process: no error or EPERM (1) means it exists; ESRCH means it does not.
    /// </summary>
    public static bool Exists(int pid)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            return Kill(pid, 0) == 0 || System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == 1;
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    /// <summary>Whether <paramref name="other"/> certainly still runs: this host, boot and pid namespace, and its pid alive since it started.</summary>
    public bool IsCertainlyRunning(ProcessIdentity other)
    {
        if (other.Host != Host || !OperatingSystem.IsLinux()) return false;
        if (other.Instance is null || Instance is null)
            return other.Pid == Pid || Exists(other.Pid);
        return InstanceOf(other.Pid) == other.Instance;
    }

    /// <summary>The instance of the live process <paramref name="pid"/> (null when there is none, or off Linux).</summary>
    public static string? InstanceOf(int pid)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            var space = new FileInfo("/proc/self/ns/pid").LinkTarget ?? "";
            // Field 22 of stat, counted after the command name (which may hold spaces and parentheses).
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return $"{boot}/{space}/{fields[19]}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static (string Boot, string Space, string Start) Split(string instance)
    {
        var parts = instance.Split('/');
        return parts.Length == 3 ? (parts[0], parts[1], parts[2]) : ("", "", "");
    }
}
