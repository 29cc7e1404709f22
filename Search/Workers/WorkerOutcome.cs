using Mnist.Protocol.Events;

namespace Mnist.Search.Workers;

/// <summary>
/// How one worker run ended: its exit code, its last <c>result</c> and <c>error</c> events (null when it
/// sent none), and the stdout lines that were not events (a command's own output, e.g. <c>predict</c>'s JSON).
/// </summary>
public sealed record WorkerOutcome(int ExitCode, WorkerEvent.Result? Result, string? Error, IReadOnlyList<string> OtherLines)
{
    /// <summary>The lines that were not events, as the text the worker printed.</summary>
    public string OtherOutput => string.Join("\n", OtherLines);
}
