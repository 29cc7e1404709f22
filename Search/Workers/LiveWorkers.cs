using System.Collections.Concurrent;

namespace Mnist.Search.Workers;

/// <summary>
/// The worker processes of this process that have not ended yet, so that a coordinator quitting at once (a second stop
/// signal, or the stop's grace running out) kills them before it exits: it left them running as orphans (in a process
/// group and session of their own, no signal of the terminal reaches them), holding their device until the next run's
/// sweep, or for good on a machine never used again. A worker is listed from its start until its exit has been seen and
/// its group killed (after its output drained, up to 2 s): a kill in that window reaches a group id given back only if
/// the group is empty and the pids wrapped around within it.
/// </summary>
internal static class LiveWorkers
{
    private static readonly ConcurrentDictionary<IWorkerProcess, byte> Running = new();

    public static void Add(IWorkerProcess worker) => Running.TryAdd(worker, 0);

    public static void Remove(IWorkerProcess worker) => Running.TryRemove(worker, out _);

    /// <summary>Kills every listed worker, its process group and its process tree; for a process about to exit.</summary>
    public static void KillAll()
    {
        foreach (var worker in Running.Keys)
        {
            // Never in the way of the exit it precedes.
            try { worker.Kill(); }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or ObjectDisposedException) { }
        }
    }
}
