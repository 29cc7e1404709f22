using System.Data.Common;
using System.Globalization;
using Mnist.Search.Storage;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// Riding out a database that is down for longer than the storage's own retries (about 10 s: a PostgreSQL restart
/// under load, a failover, a maintenance window). Before, the coordinator's loop ended at the first such error, and a
/// finished trial's result was dropped when the database was down at the moment it was recorded.
/// </summary>
internal static class StorageOutage
{
    /// <summary>The environment variable that sets <see cref="Window"/>, in minutes (README, "Distributed search").</summary>
    public const string WindowVariable = "MNIST_SEARCH_STORAGE_OUTAGE_MINUTES";

    /// <summary>
    /// 30 min: a PostgreSQL restart, a failover or a minor-version upgrade takes minutes, and 2 min (the window before it
    /// was settable) ended unattended studies at outages of 2.5 min (audit-chaos 1); a longer one is a maintenance
    /// window an operator knows of and can set the variable for.
    /// </summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The outage every coordinator rides out at the least (unless <see cref="WindowVariable"/> is set shorter), which a
    /// retrain claim outlives (<c>RetrainClaim.StaleAfter</c>).
    /// </summary>
    public static readonly TimeSpan RideOut = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long the commands that run trials (start, resume, worker) wait for a database that does not answer before
    /// they stop: <see cref="WindowVariable"/> (minutes, fractions allowed, at most 71,582), else <see cref="DefaultWindow"/>.
    /// Query commands do not wait beyond the storage's own retries: a person is there to run them again.
    /// </summary>
    public static TimeSpan Window => WindowRefusal() is null && Environment.GetEnvironmentVariable(WindowVariable) is { Length: > 0 } text
        ? TimeSpan.FromMinutes(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)) : DefaultWindow;

    /// <summary>
    /// Why <see cref="WindowVariable"/> is not a window (null when unset or valid): checked where a trial-running command
    /// starts, so "0" or "5m" is one line and exit 2, not a silent 30 minutes (review 1207 part 2, 5).
    /// </summary>
    public static string? WindowRefusal() => Environment.GetEnvironmentVariable(WindowVariable) is not { Length: > 0 } text ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) && minutes > 0 && minutes <= 71_582 ? null
        : $"{WindowVariable}: \"{text}\" is not minutes in (0, 71582] (fractions allowed, e.g. 0.5)";

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
    public static Task RetryAsync(IStudyStorage storage, Func<Task> write, ILogger log, string what) =>
        RetryAsync(storage, async () => { await write(); return true; }, log, what);

    /// <summary>
    /// Runs <paramref name="write"/>, again after each outage error, until <paramref name="storage"/>'s outage window
    /// ends (<see cref="StorageOutageWindow"/>); once <paramref name="interrupt"/> is signalled, or the process stops
    /// (<see cref="StorageOutageWindow.StopsWith"/>), the next outage error is thrown at once. What it writes stays in
    /// memory meanwhile: a trial's result is recorded when the database answers.
    /// </summary>
    public static async Task<T> RetryAsync<T>(IStudyStorage storage, Func<Task<T>> write, ILogger log, string what, CancellationToken interrupt = default)
    {
        var window = StorageOutageWindow.Of(storage);
        var lastTry = false;
        var said = false;
        while (true)
        {
            try
            {
                var result = await write();
                window.Answered(log);
                return result;
            }
            catch (Exception e) when (Is(e) && !interrupt.IsCancellationRequested && !window.Stopping && window.RidesOut(e, log, ref lastTry))
            {
                // Once per request: the window's own lines say the outage, its deadline and its end. A line at every try
                // ("trying again") made about 90 warnings of a 2.5-min outage with two trials.
                if (!said) log.Information("The database failed while {What}; kept until it answers", what);
                said = true;
                if (!lastTry) await Task.WhenAny(Task.Delay(Pause, interrupt));
            }
        }
    }

    private const string RiddenOutKey = "mnist-search.outage-ridden-out";

    /// <summary>Marks an outage error that was ridden out to the end of its window: no caller rides it out again.</summary>
    public static void MarkRiddenOut(Exception e) => e.Data[RiddenOutKey] = true;

    /// <summary>Whether <see cref="MarkRiddenOut"/> marked <paramref name="e"/>.</summary>
    public static bool WasRiddenOut(Exception e) => e.Data.Contains(RiddenOutKey);
}
