using Mnist.Protocol.Events;

namespace Mnist.Search.Workers;

/// <summary>
/// Runs one worker process to its end through <see cref="IWorkerLauncher"/> and follows its stdout: the
/// one loop that search trials, retraining, <c>study export</c> and <c>predict</c> share (issue 10).
/// </summary>
/// <remarks>
/// Cancelling <c>stop</c> kills the worker (and its descendants); killing closes stdout, which ends the
/// loop, so the outcome still comes back and the caller decides what the stop meant. Once the worker has printed
/// its result it is killed only <see cref="ResultGrace"/> after it, or after a stop that follows it. A worker that cannot
/// be started throws <see cref="WorkerStartException"/>. Disposing the process closes its stdin and gives
/// it a grace period before killing, so no worker outlives the call.
/// </remarks>
public sealed class WorkerRunner(IWorkerLauncher launcher)
{
    /// <summary>
    /// How long a worker that has printed its result may take to exit, after it and after a stop; then it and its process
    /// group are killed, and the result stands (<see cref="WorkerOutcome.KilledAfterResult"/>). Killed at once on a stop, one that was only
    /// exiting (0.1 s) lost a finished trial: a Ctrl+C in that moment recorded it FAIL "exited with code 137", not run
    /// again, its value gone (an audit lost a study's best trial so). Without this bound, one that never exits (a
    /// non-daemon thread, a TensorBoard writer, DataLoader workers hanging at interpreter exit) held its slot until the
    /// trial timeout (10 min by default), and a retrain's for hours. Its checkpoint is in place before the result.
    /// </summary>
    public static readonly TimeSpan ResultGrace = TimeSpan.FromSeconds(5);

    /// <param name="started">Called once the process runs (e.g. to record its pid).</param>
    /// <param name="onEvent">Called for every stdout line, in order, with the process (to send <c>prune</c> or kill it).</param>
    /// <param name="wrapUp">Cancelled when the worker's run is decided without its result (one that did not stop after
    /// <c>prune</c>): from then it has <see cref="ResultGrace"/> to exit before it and its process group are killed.</param>
    public async Task<WorkerOutcome> RunAsync(
        WorkerStartInfo start,
        CancellationToken stop,
        Func<IWorkerProcess, Task>? started = null,
        Func<WorkerEvent, IWorkerProcess, Task>? onEvent = null,
        CancellationToken wrapUp = default)
    {
        await using var process = launcher.Start(start);
        using var lateKill = new CancellationTokenSource();
        // Declared after the process, so disposed before it: no kill reaches a process group id that was given back.
        // Only a kill of a worker still running makes its run one killed after its result: the timer may fire while the
        // stream drains after the worker exited by itself (its own exit code, 139 from a crash at teardown, then stands).
        var killedLate = false;
        await using var lateKillRegistration = lateKill.Token.Register(() =>
        {
            killedLate = !process.HasExited;
            process.Kill();
        });
        await using var wrapUpRegistration = wrapUp.Register(() => lateKill.CancelAfter(ResultGrace));
        var kill = stop.Register(process.Kill);
        try
        {
            if (started is not null) await started(process);

            WorkerEvent.Result? result = null;
            string? error = null;
            var other = new List<string>();
            await foreach (var line in process.ReadLinesAsync(CancellationToken.None))
            {
                var e = WorkerEvent.Parse(line);
                switch (e)
                {
                    case WorkerEvent.Result r:
                        // From its result on, the worker has ResultGrace to exit, and as long again after a stop.
                        if (result is null)
                        {
                            await kill.DisposeAsync();
                            lateKill.CancelAfter(ResultGrace);
                            kill = stop.Register(() => lateKill.CancelAfter(ResultGrace));
                        }
                        result = r;
                        break;
                    case WorkerEvent.Error err: error = err.Message; break;
                    case WorkerEvent.Unknown u: other.Add(u.Line); break;
                }
                if (onEvent is not null) await onEvent(e, process);
            }
            var exit = await process.WaitForExitAsync(CancellationToken.None);
            // Killed for lingering after its result: its run ended with that result, as a clean exit's does.
            var killedAfterResult = result is not null && killedLate;
            return new WorkerOutcome(killedAfterResult ? 0 : exit, result, error, other) { KilledAfterResult = killedAfterResult };
        }
        finally
        {
            await kill.DisposeAsync();
        }
    }
}
