using System.Runtime.InteropServices;
using Mnist.Protocol.Files;

namespace Mnist.Trials.Protocol;

/// <summary>
/// Ends the process at once with a given code, after removing its partial files and flushing what it wrote. Not
/// through <see cref="Environment.Exit"/>: its <c>exit()</c> runs libtorch's static destructors while the training
/// thread may still be inside a torch operation, and the worker then died of SIGSEGV (exit code 139, seen in CI)
/// instead of reporting its own code.
/// </summary>
internal static class ImmediateExit
{
    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void Exit(int status);

    private static readonly List<PosixSignalRegistration> Handlers = [];

    /// <summary>
    /// SIGTERM, SIGINT, SIGQUIT and SIGHUP end the worker through <see cref="Now"/> with 128 + the signal's number, as
    /// their default action would: the runtime's own handling ends in <c>exit()</c> (above).
    /// </summary>
    public static void OnTerminationSignals()
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var (signal, number) in new[] { (PosixSignal.SIGTERM, 15), (PosixSignal.SIGINT, 2), (PosixSignal.SIGQUIT, 3), (PosixSignal.SIGHUP, 1) })
            Handlers.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                Now(128 + number);
            }));
    }

    public static void Now(int exitCode)
    {
        PartialFiles.RemoveNow();
        try
        {
            Console.Out.Flush();
            Console.Error.Flush();
        }
        catch (IOException) { }
        if (OperatingSystem.IsLinux()) Exit(exitCode);
        Environment.Exit(exitCode);
    }
}
