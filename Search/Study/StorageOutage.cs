using System.Data.Common;
using System.Diagnostics;
using Mnist.Search.Storage;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// Riding out a database that is down for longer than the storage's own retries (about 10 s: a PostgreSQL restart
/// under load, a failover). Before, the coordinator's loop ended at the first such error, and a finished trial's
/// result was dropped when the database was down at the moment it was recorded.
/// </summary>
internal static class StorageOutage
{
    /// <summary>How long an outage is ridden out before the error is reported.</summary>
    public static readonly TimeSpan RideOut = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(2);

    /// <summary>An error of the database connection, not of the request (a full disk and a finished trial are answers).</summary>
    /// <remarks>
    /// A PostgreSQL server gone for longer than the storage's retries is a <see cref="StorageUnreachableException"/>
    /// (one line for a query command), no longer the driver's exception: still an outage to ride out here.
    /// </remarks>
    public static bool Is(Exception e) =>
        e is DbException or System.Net.Sockets.SocketException or TimeoutException or IOException or StorageUnreachableException
        && !DiskReserve.IsDiskFull(e);

    /// <summary>As <see cref="RetryAsync{T}"/>, for a write with no result.</summary>
    public static Task RetryAsync(Func<Task> write, ILogger log, string what) =>
        RetryAsync(async () => { await write(); return true; }, log, what);

    /// <summary>
    /// Runs <paramref name="write"/>, again after each outage error, for up to <see cref="RideOut"/>; once
    /// <paramref name="interrupt"/> is signalled the next outage error is thrown at once.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> write, ILogger log, string what, CancellationToken interrupt = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { return await write(); }
            catch (Exception e) when (Is(e) && clock.Elapsed < RideOut && !interrupt.IsCancellationRequested)
            {
                log.Warning("The database failed while {What} ({Error}); trying again", what, e.Message);
                await Task.WhenAny(Task.Delay(Pause, interrupt));
            }
        }
    }

    private const string RiddenOutKey = "mnist-search.outage-ridden-out";

    /// <summary>Marks an outage error that was already ridden out for <see cref="RideOut"/>: no caller rides it out again.</summary>
    public static void MarkRiddenOut(Exception e) => e.Data[RiddenOutKey] = true;

    /// <summary>Whether <see cref="MarkRiddenOut"/> marked <paramref name="e"/>.</summary>
    public static bool WasRiddenOut(Exception e) => e.Data.Contains(RiddenOutKey);
}
