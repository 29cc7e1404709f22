using Mnist.Protocol.Events;

namespace Mnist.Search.Workers;

/// <summary>
/// How one worker run ended: its exit code, its last <c>result</c> and <c>error</c> events (null when it
/// sent none), and the stdout lines that were not events (a command's own output, e.g. <c>predict</c>'s JSON).
/// </summary>
/// <param name="ExitCode">The worker's exit code; 0 when it was killed only for not exiting within
/// <see cref="WorkerRunner.ResultGrace"/> of its result (<see cref="KilledAfterResult"/>): its run ended with that result.</param>
public sealed record WorkerOutcome(int ExitCode, WorkerEvent.Result? Result, string? Error, IReadOnlyList<string> OtherLines)
{
    /// <summary>The worker printed its result but did not exit within <see cref="WorkerRunner.ResultGrace"/>, so it and its
    /// process group were killed; the caller says so (one warning), and the result stands.</summary>
    public bool KilledAfterResult { get; init; }

    /// <summary>What a <see cref="KilledAfterResult"/> run's warning says of its worker, for a trial and the retrain alike.</summary>
    public static string LingeredWarning { get; } =
        $"did not exit within {WorkerRunner.ResultGrace.TotalSeconds:0} s of its result (or of a stop after it); killed it and its process group, the result stands";

    /// <summary>The lines that were not events, as the text the worker printed.</summary>
    public string OtherOutput => string.Join("\n", OtherLines);
}
