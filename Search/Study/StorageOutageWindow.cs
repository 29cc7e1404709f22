using System.Diagnostics;
using System.Runtime.CompilerServices;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// One storage's outage as this process meets it: the first request that fails after the storage's own retries starts
/// the window (<see cref="StorageOutage.Window"/>) and says its deadline once; a line every <see cref="StillWaitingEvery"/>
/// while it lasts; its end said by the first request that succeeds. Every request of the process shares it: each rode
/// out 2 min of its own and said so at every try, about 90 warnings for a 2.5-min outage with two trials, each "trying
/// again for up to 2 min" as if the window began again (audit-chaos 1).
/// </summary>
internal sealed class StorageOutageWindow
{
    private static readonly ConditionalWeakTable<IStudyStorage, StorageOutageWindow> OfStorage = new();

    /// <summary>The window of <paramref name="storage"/>'s outages in this process.</summary>
    public static StorageOutageWindow Of(IStudyStorage storage) => OfStorage.GetValue(storage, _ => new StorageOutageWindow(StorageOutage.Window));

    /// <summary>Gives <paramref name="storage"/> a window of <paramref name="window"/> (tests: the variable is the whole test process's).</summary>
    internal static void Set(IStudyStorage storage, TimeSpan window) => OfStorage.AddOrUpdate(storage, new StorageOutageWindow(window));

    private readonly TimeSpan _window;
    private readonly Lock _gate = new();
    // When the outage's first failure was seen (a Stopwatch timestamp), and when a line last said it; 0: no outage.
    private long _since;
    private long _saidAt;
    private DateTime _deadline;
    private volatile bool _down;
    // A request gave up at the deadline: the process stops, so the database's return is not "carrying on".
    private bool _gaveUp;

    // The process's stop (Ctrl+C, SIGTERM, a study that stops): requests no longer ride out the window then.
    private CancellationToken _stopping;

    private StorageOutageWindow(TimeSpan window) => _window = window;

    /// <summary>
    /// Requests stop riding out the outage once <paramref name="stopping"/> is signalled: a trial stopped during an outage
    /// waited to the window's end to record its FAIL, past the stop's grace (60 s), which then quit.
    /// </summary>
    public void StopsWith(CancellationToken stopping) => _stopping = stopping;

    /// <summary>Whether the process is stopping (<see cref="StopsWith"/>).</summary>
    public bool Stopping => _stopping.IsCancellationRequested;

    /// <summary>How often a long outage is said again: every 5 min, or thrice in a shorter window.</summary>
    private TimeSpan StillWaitingEvery => TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(5).Ticks, _window.Ticks / 3));

    /// <summary>
    /// Whether a request that failed with the outage error <paramref name="e"/> tries again. Within the window it does;
    /// at its end, once more at once (<paramref name="lastTry"/> set): a database that answers by then is carried on with
    /// (a server that hung for 6 min answered in the very millisecond the coordinator stopped for it). After that last
    /// try, no: <paramref name="e"/> is marked ridden out (<see cref="StorageOutage.MarkRiddenOut"/>). Once a request
    /// gave up, the others get no last try: the process is stopping, and each took the storage's retries (about 10 s) more.
    /// </summary>
    public bool RidesOut(Exception e, ILogger log, ref bool lastTry)
    {
        if (Failed(e, log))
        {
            lastTry = false;
            return true;
        }
        bool gaveUp;
        lock (_gate) gaveUp = _gaveUp;
        if (!lastTry && !gaveUp)
        {
            lastTry = true;
            return true;
        }
        lock (_gate) _gaveUp = true;
        StorageOutage.MarkRiddenOut(e);
        return false;
    }

    /// <summary>Notes a failure (a heartbeat's, a request's) and says what a reader needs of it; whether the window lasts.</summary>
    public bool Failed(Exception e, ILogger log)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (!_down)
            {
                _down = true;
                _since = _saidAt = now;
                _deadline = DateTime.Now + _window;
                log.Warning("The database failed ({Error}); this process waits for it until {Deadline} ({Window}, {Variable}): running trials go on, "
                    + "and their epochs and results are recorded once it answers", e.Message, Clock(_deadline), Durations.Format(_window), StorageOutage.WindowVariable);
                return true;
            }
            var down = Stopwatch.GetElapsedTime(_since, now);
            if (down < _window && Stopwatch.GetElapsedTime(_saidAt, now) >= StillWaitingEvery)
            {
                _saidAt = now;
                log.Warning("Still waiting for the database, down for {Down} (until {Deadline}): {Error}", Durations.Format(down), Clock(_deadline), e.Message);
            }
            return down < _window;
        }
    }

    /// <summary>Notes a request that succeeded: an outage in course is over, said once.</summary>
    public void Answered(ILogger log)
    {
        if (!_down) return;
        lock (_gate)
        {
            if (!_down) return;
            _down = false;
            if (!_gaveUp)
                log.Information("The database answers again after {Down}, within the outage window: the study goes on", Durations.Format(Stopwatch.GetElapsedTime(_since)));
            _gaveUp = false;
        }
    }

    /// <summary>
    /// The line of a process that stops because the database did not answer within the window: in study.log too (the
    /// command's own line goes to stderr alone, and study.log ended at a trial that could not be recorded).
    /// </summary>
    public void SayStopped(Exception e, ILogger log)
    {
        DateTime deadline;
        lock (_gate) deadline = _deadline;
        log.Error("The database did not answer within {Window} (until {Deadline}; {Variable} sets how long): this process stopped ({Error}); "
            + "run the same command again once it answers: the trials it left RUNNING are failed and queued again",
            Durations.Format(_window), Clock(deadline), StorageOutage.WindowVariable, e.Message);
    }

    // A time of day, with its date when it is not today's (a window of days).
    private static string Clock(DateTime t) => t.ToString(t.Date == DateTime.Now.Date ? "HH:mm:ss" : "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}
