namespace Mnist.Search.Storage;

/// <summary>
/// How long a SQLite storage operation waits for a lock another process holds, and who is told that it waits. A
/// lock held for minutes (a writer stopped mid-transaction, a `sqlite3` shell left in a transaction) looked like a
/// hang: every operation waits up to <see cref="PerAttempt"/> on each of its attempts (10) before it gives up, in
/// slices of <see cref="Slice"/> so that a stop is honoured within about a second.
/// </summary>
/// <remarks>Process-wide: the command line sets it once, from the environment where tests shorten it.</remarks>
public static class LockWait
{
    /// <summary>SQLite's busy timeout for one attempt.</summary>
    public static TimeSpan PerAttempt { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest SQLite blocks in one wait before a stop (Ctrl+C, SIGTERM) is looked at: an attempt's wait is taken in
    /// slices this long. SQLite counts its busy timeout in whole seconds here, so 1 s is the shortest slice there is.
    /// </summary>
    public static TimeSpan Slice { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an operation waits before <see cref="Notice"/> is told.</summary>
    public static TimeSpan NoticeAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Told, once per operation, that it waits for a lock; null: nobody is told.</summary>
    public static Action<string>? Notice { get; set; }

    /// <summary>Tells <paramref name="notice"/> instead until the result is disposed, then whoever was told before.</summary>
    public static IDisposable Tell(Action<string> notice)
    {
        var before = Notice;
        Notice = notice;
        return new Restore(() => Notice = before);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
