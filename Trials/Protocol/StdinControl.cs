using Mnist.Protocol.Events;
using Mnist.Protocol.Outputs;
using Mnist.Protocol.Processes;

namespace Mnist.Trials.Protocol;

/// <summary>
/// Watches stdin on a background thread: the line <c>prune</c> sets the <see cref="PruneSignal"/>,
/// and end of stdin (the parent died and its pipe closed) calls <paramref name="onEndOfInput"/>, which
/// ends the process at once. Stdin redirected from <c>/dev/null</c> is not watched — it is empty from
/// the start, which means "no controller" (scripts, benchmarks), not "the parent died".
/// </summary>
internal sealed class StdinControl(TextReader input, PruneSignal signal, Action onEndOfInput)
{
    /// <summary>
    /// For <c>run</c>: ends the process when the parent's end of stdin closes (it died, even by SIGKILL, which it
    /// cannot clean up after; or it stops the trial). <paramref name="signal"/> receives <c>prune</c> lines.
    /// </summary>
    public static void ExitWithParent(PruneSignal signal)
    {
        if (IsStdinNull()) return;
        new StdinControl(Console.In, signal, () =>
        {
            Console.Error.WriteLine("stdin closed: the coordinator is gone; exiting without a result");
            ImmediateExit.Now(WorkerExitCodes.Failure);
        }).Start();
    }

    /// <summary>
    /// For the short commands (<c>predict</c>, <c>export</c>, <c>check</c>): ends the process when stdin closes
    /// because its parent died (this process was handed to another parent), not when a living parent simply gave
    /// it an empty stdin (<c>echo | Trials check</c>, Python's <c>subprocess.run(input=b"")</c>).
    /// </summary>
    public static void ExitWhenOrphaned()
    {
        if (IsStdinNull()) return;
        // The coordinator names itself (a parent killed while this runtime started has already handed it on); run
        // by hand, the parent now is the one.
        var parent = int.TryParse(Environment.GetEnvironmentVariable(ParentProcessVariable.Name), out var named) ? named : ParentProcess.Id;
        new StdinControl(Console.In, new PruneSignal(), () =>
        {
            // The kernel closes a dying parent's pipes before it hands its children on, so the end of stdin can
            // come first: from then on the parent is looked at until it changes (the thread does not keep the
            // process alive).
            while (ParentProcess.Id == parent) Thread.Sleep(200);
            Console.Error.WriteLine("stdin closed and the parent process is gone; exiting without a result");
            ImmediateExit.Now(WorkerExitCodes.Failure);
        }).Start();
    }

    public static bool IsStdinNull()
    {
        try
        {
            var target = File.ResolveLinkTarget("/proc/self/fd/0", returnFinalTarget: false);
            return target?.FullName == "/dev/null";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Start()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "stdin-control" };
        thread.Start();
    }

    private void Loop()
    {
        while (input.ReadLine() is { } line)
        {
            if (string.Equals(line.Trim(), EventNames.PruneCommand, StringComparison.OrdinalIgnoreCase))
                signal.Request();
            else if (line.Trim().Length > 0)
                Console.Error.WriteLine($"stdin: ignoring unknown control line '{line.Trim()}' (expected 'prune')");
        }
        onEndOfInput();
    }
}
