namespace Mnist.Search.Cli;

/// <summary>
/// Standard output whose failures say that it is standard output that failed. A closed stdout (<c>&gt;&amp;-</c>, as some
/// cron and daemon wrappers run commands) made the first write fail with .NET's "Access to the path is denied.", which
/// names no path: the command ended "error: Access to the path is denied." after all its work (audit-ops 11). A pipe
/// closed by its reader (EPIPE) is not a failure here: .NET's console ignores it, so `| head` still works.
/// </summary>
internal sealed class StandardOutput(TextWriter inner) : GuardedWriter(inner)
{
    /// <summary>Puts it in front of the console's stdout; before anything (Spectre.Console) takes Console.Out.</summary>
    public static void InstallOnConsole() => Console.SetOut(new StandardOutput(Console.Out));

    protected override void Guard(Action write)
    {
        try { write(); }
        catch (Exception e) when (IsWriteFailure(e) && e is not ObjectDisposedException)
        {
            throw new IOException($"cannot write to standard output: {e.Message}", e);
        }
    }
}
