using System.Runtime.InteropServices;

namespace Mnist.Trials.Protocol;

/// <summary>This process's parent: it changes when the parent dies and the process is handed to init (or a subreaper).</summary>
internal static class ParentProcess
{
    public static int Id => OperatingSystem.IsWindows() ? 0 : GetParentId();

    [DllImport("libc", EntryPoint = "getppid")]
    private static extern int GetParentId();
}
