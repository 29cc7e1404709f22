using Mnist.Protocol.Events;

namespace Mnist.Search.Workers;

/// <summary>
/// Runs one worker process to its end through <see cref="IWorkerLauncher"/> and follows its stdout: the
/// one loop that search trials, retraining, <c>study export</c> and <c>predict</c> share (issue 10).
/// </summary>
/// <remarks>
/// Cancelling <c>stop</c> kills the worker (and its descendants); killing closes stdout, which ends the
/// loop, so the outcome still comes back and the caller decides what the stop meant. A worker that cannot
/// be started throws <see cref="WorkerStartException"/>. Disposing the process closes its stdin and gives
/// it a grace period before killing, so no worker outlives the call.
/// </remarks>
public sealed class WorkerRunner(IWorkerLauncher launcher)
{
    /// <param name="started">Called once the process runs (e.g. to record its pid).</param>
    /// <param name="onEvent">Called for every stdout line, in order, with the process (to send <c>prune</c> or kill it).</param>
    public async Task<WorkerOutcome> RunAsync(
        WorkerStartInfo start,
        CancellationToken stop,
        Func<IWorkerProcess, Task>? started = null,
        Func<WorkerEvent, IWorkerProcess, Task>? onEvent = null)
    {
        await using var process = launcher.Start(start);
        await using var kill = stop.Register(process.Kill);
        if (started is not null) await started(process);

        WorkerEvent.Result? result = null;
        string? error = null;
        var other = new List<string>();
        await foreach (var line in process.ReadLinesAsync(CancellationToken.None))
        {
            var e = WorkerEvent.Parse(line);
            switch (e)
            {
                case WorkerEvent.Result r: result = r; break;
                case WorkerEvent.Error err: error = err.Message; break;
                case WorkerEvent.Unknown u: other.Add(u.Line); break;
            }
            if (onEvent is not null) await onEvent(e, process);
        }
        var exit = await process.WaitForExitAsync(CancellationToken.None);
        return new WorkerOutcome(exit, result, error, other);
    }
}
