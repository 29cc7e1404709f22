using Mnist.Protocol.Events;

namespace Mnist.Trials.Protocol;

/// <summary>
/// Watches stdin on a background thread: the line <c>prune</c> sets the <see cref="PruneSignal"/>,
/// and end of stdin (the parent died and its pipe closed) calls <paramref name="onEndOfInput"/>, which
/// ends the process at once. Stdin redirected from <c>/dev/null</c> is not watched — it is empty from
/// the start, which means "no controller" (scripts, benchmarks), not "the parent died".
/// </summary>
internal sealed class StdinControl(TextReader input, PruneSignal signal, Action onEndOfInput)
{
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
