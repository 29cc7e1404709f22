namespace Mnist.Search.Cli;

/// <summary>
/// A console writer whose failures are dropped: once a stop signal has come, what is said is best effort, and what
/// matters is that the trials get recorded and the process exits 130. After a closed terminal (SIGHUP from a dropped
/// SSH session) every write fails with EIO; the signal handler's own message threw, the runtime aborted the
/// process (exit 134) and the running trials stayed RUNNING. Only installed after a signal: before it, a write that
/// fails (stdout redirected to a full disk) must still fail the command.
/// </summary>
internal sealed class BestEffortWriter(TextWriter inner) : GuardedWriter(inner)
{
    /// <summary>Makes the console's stdout and stderr best effort from now on.</summary>
    public static void InstallOnConsole()
    {
        Console.SetOut(new BestEffortWriter(Console.Out));
        InstallOnStderr();
    }

    /// <summary>
    /// Makes stderr best effort, from the start: what it says is diagnostics (warnings, the lock-wait notice, the error
    /// line), never the command's result, and with stderr closed (`2>&-`) the first warning failed the command (exit 1,
    /// nothing enqueued) where the same command without it succeeded. The exit code says how it ended.
    /// </summary>
    public static void InstallOnStderr()
    {
        if (Console.Error is not BestEffortWriter) Console.SetError(new BestEffortWriter(Console.Error));
    }

    protected override void Guard(Action write)
    {
        try { write(); }
        catch (Exception e) when (IsWriteFailure(e)) { }
    }
}
