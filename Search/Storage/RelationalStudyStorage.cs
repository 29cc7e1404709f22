using System.Data.Common;
using System.Globalization;
using Dapper;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

/// <summary>
/// <see cref="IStudyStorage"/> over Optuna's RDB schema, shared by SQLite and PostgreSQL. Each operation opens a
/// pooled connection, runs in one transaction (writes take the dialect's write lock first) and is retried with
/// exponential backoff when the dialect calls the failure transient (SQLite busy, PostgreSQL restart).
/// </summary>
/// <remarks>
/// A write retried after a failure at commit may run twice if the commit had in fact succeeded (a connection lost
/// exactly then); the database cannot tell us, and the window is a single round trip.
/// </remarks>
internal abstract partial class RelationalStudyStorage : IStudyStorage
{
    protected const int MaxAttempts = 10;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>Opens a connection with the session settings the dialect needs.</summary>
    protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>Begins a transaction that holds the write lock the numbering relies on (SQLite: BEGIN IMMEDIATE).</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Begins a transaction that sees one consistent snapshot for multi-table reads.</summary>
    protected abstract Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct);

    /// <summary>True when retrying the whole operation on a fresh connection may succeed.</summary>
    protected abstract bool IsTransient(Exception error);

    /// <summary>
    /// A one-line <see cref="StorageException"/>, <see cref="StorageFullException"/> or
    /// <see cref="StorageUnreachableException"/> naming the storage for a failure the user must act on (corrupt file,
    /// full disk, missing database, a server gone for longer than the retries), or null to let it through as is.
    /// </summary>
    protected virtual Exception? Describe(Exception error) => null;

    /// <summary>
    /// True where the dialect's only transient failure is a wait for another process's lock, and
    /// <see cref="LimitLockWaitAsync"/> can shorten that wait (SQLite); then <see cref="LockWait.Notice"/> is told.
    /// </summary>
    protected virtual bool CanLimitLockWait => false;

    /// <summary>Shortens how long <paramref name="connection"/> waits for another process's lock to <paramref name="wait"/>.</summary>
    protected virtual Task LimitLockWaitAsync(DbConnection connection, TimeSpan wait, CancellationToken ct) => Task.CompletedTask;

    /// <summary>What <see cref="LockWait.Notice"/> is told: which database the operation waits for.</summary>
    protected virtual string WaitingMessage => "waiting for the database: locked by another process";

    /// <summary>
    /// What <see cref="LockWait.Notice"/> is told when an operation first fails with a transient <paramref name="error"/>
    /// of the database server (not a lock wait, which <see cref="WaitingMessage"/> says); null: nothing.
    /// </summary>
    protected virtual string? ServerFailedMessage(Exception error) => null;

    /// <summary>What <see cref="LockWait.Notice"/> is told when an operation that said <see cref="ServerFailedMessage"/> succeeds.</summary>
    protected virtual string AnsweringAgainMessage(TimeSpan after) => $"the database answers again (after {Durations.Format(after)})";

    /// <summary>How many attempts an operation that failed with <paramref name="error"/> gets in all.</summary>
    protected virtual int AttemptsFor(Exception error) => MaxAttempts;

    /// <summary>Called after a transient failure, before the retry (PostgreSQL drops its broken pooled connections).</summary>
    protected virtual void OnTransientFailure() { }

    private long _lastTransientFailure = long.MinValue;

    // When this storage said the database server failed (a Stopwatch timestamp), until an operation succeeds; 0: not said.
    private long _outageSaidAt;

    /// <summary>How long ago this process last saw the database fail and retried (a restart, a lock held too long); null if never.</summary>
    public TimeSpan? SinceLastOutage =>
        Interlocked.Read(ref _lastTransientFailure) is var t && t == long.MinValue ? null : System.Diagnostics.Stopwatch.GetElapsedTime(t);

    /// <summary>A wall-clock time (local, as Optuna's <c>datetime.now()</c>) as the dialect binds it.</summary>
    protected abstract object DbTime(DateTime local);

    /// <summary>SQL expression: the database clock, as Optuna's <c>func.now()</c> writes heartbeats.</summary>
    protected abstract string NowSql { get; }

    /// <summary>SQL condition on <c>h.heartbeat</c>: older than <c>@GraceSeconds</c> by the database clock.</summary>
    protected abstract string StaleHeartbeatSql { get; }

    /// <summary>SQL expression: the age of <c>h.heartbeat</c> in seconds by the database clock.</summary>
    protected abstract string HeartbeatAgeSql { get; }

    /// <summary>SQL selecting <c>study_id</c> of <c>@StudyId</c>, locking the row where the dialect has row locks.</summary>
    protected abstract string LockStudySql { get; }

    /// <summary>SQL selecting the trials of <c>@StudyId</c>, locking their rows where the dialect has row locks.</summary>
    protected abstract string LockStudyTrialsSql { get; }

    /// <summary>SQL selecting the state (as text) of <c>@TrialId</c>, locking the row where the dialect has row locks.</summary>
    protected abstract string LockTrialSql { get; }

    /// <summary>SQL selecting the id of the oldest WAITING trial of <c>@StudyId</c> nobody else is claiming.</summary>
    protected abstract string NextWaitingTrialSql { get; }

    /// <summary>SQL condition: <c>CAST(t.state AS TEXT)</c> is one of the strings in the list <c>@States</c>.</summary>
    protected abstract string StateInListSql { get; }

    /// <summary>SQL condition: <c>t.trial_id</c> is one of the ids in the list <c>@Ids</c>.</summary>
    protected abstract string TrialIdInListSql { get; }

    public abstract ValueTask DisposeAsync();

    protected async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> operation, CancellationToken ct)
    {
        if (LockWait.Notice is { } notice && CanLimitLockWait)
        {
            // A first, short try, so a wait for another process's lock is said after seconds, not after minutes of
            // silence. Its failure is no outage (SinceLastOutage) and costs no attempt; a transaction it began was
            // rolled back, as before any retry.
            try
            {
                return await AttemptAsync(operation, LockWait.NoticeAfter, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && IsTransient(e)) { notice(WaitingMessage); }
            catch (Exception e) when (Interrupted(e, ct)) { throw new OperationCanceledException(e.Message, e, ct); }
            catch (Exception e) when (Describe(e) is { } described) { throw described; }
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await AttemptAsync(operation, CanLimitLockWait ? LockWait.PerAttempt : null, ct);
                if (Interlocked.Exchange(ref _outageSaidAt, 0) is var since and not 0 && LockWait.Notice is { } told)
                    told(AnsweringAgainMessage(System.Diagnostics.Stopwatch.GetElapsedTime(since)));
                return result;
            }
            catch (Exception e) when (attempt < AttemptsFor(e) && !ct.IsCancellationRequested && IsTransient(e))
            {
                Interlocked.Exchange(ref _lastTransientFailure, System.Diagnostics.Stopwatch.GetTimestamp());
                OnTransientFailure();
                // Said once per outage, by the first operation to meet it, and its end by the first to succeed after
                // it: a server that accepts connections and never answers (frozen, or behind a partition that drops
                // packets) stalled every coordinator for minutes without a line, the retries riding it out in silence
                // (audit-pg 7). Only where all the retries are to come: a refusal at opening is one line of its own a
                // moment later.
                if (ServerFailedMessage(e) is { } message && AttemptsFor(e) == MaxAttempts && LockWait.Notice is { } tell
                    && Interlocked.CompareExchange(ref _outageSaidAt, System.Diagnostics.Stopwatch.GetTimestamp(), 0) == 0)
                    tell(message);
                var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 50 * Math.Pow(2, attempt - 1)));
                await Task.Delay(backoff * (0.75 + 0.5 * Random.Shared.NextDouble()), ct);
            }
            catch (Exception e) when (Interrupted(e, ct))
            {
                throw new OperationCanceledException(e.Message, e, ct);
            }
            // Reached for failures that are not transient, or still failing after the last attempt.
            catch (Exception e) when (Describe(e) is { } described)
            {
                throw described;
            }
        }
    }

    /// <summary>
    /// One attempt of <paramref name="operation"/>, on a fresh connection. Where the dialect can limit its wait for
    /// another process's lock (SQLite), that wait of up to <paramref name="wait"/> is taken in slices of
    /// <see cref="LockWait.Slice"/>, each a try of its own, and the token is looked at between them: SQLite waits in
    /// native code (its busy handler, Microsoft.Data.Sqlite's retry loop) that no token reaches, so a SIGTERM during one
    /// 30 s wait took effect up to 30 s late (audit-ops 1). The wait in all, and what is said of it, are as before; a
    /// slice that failed rolled its transaction back, as before any retry. Null <paramref name="wait"/>: one try with the
    /// connection's own wait.
    /// </summary>
    private async Task<T> AttemptAsync<T>(Func<DbConnection, Task<T>> operation, TimeSpan? wait, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await using var connection = await OpenConnectionAsync(ct);
                if (wait is { } w)
                {
                    var left = w - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                    await LimitLockWaitAsync(connection, left < LockWait.Slice ? left : LockWait.Slice, ct);
                }
                return await operation(connection);
            }
            catch (Exception e) when (wait is { } w && !ct.IsCancellationRequested && IsTransient(e)
                                      && System.Diagnostics.Stopwatch.GetElapsedTime(started) < w)
            {
                // Another slice of the same attempt: no backoff (the slice waited), no outage.
            }
        }
    }

    // A transient failure once the operation is cancelled (Ctrl+C) is the interruption: the retries stop for it, not for
    // an outage that outlasted them. It went to Describe, which took it for the last of the retries: a command interrupted
    // during a PostgreSQL outage said "lost the database server and it did not come back within 10 tries", exit 1, not
    // "interrupted", 130.
    private bool Interrupted(Exception error, CancellationToken ct) => ct.IsCancellationRequested && IsTransient(error);

    protected Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> operation, CancellationToken ct) =>
        RunAsync(async c =>
        {
            await using var tx = await BeginWriteAsync(c, ct);
            var result = await operation(c, tx);
            await tx.CommitAsync(ct);
            return result;
        }, ct);

    protected Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction, Task<T>> operation, CancellationToken ct) =>
        RunAsync(async c =>
        {
            await using var tx = await BeginReadAsync(c, ct);
            var result = await operation(c, tx);
            await tx.CommitAsync(ct);
            return result;
        }, ct);

    protected static CommandDefinition Cmd(string sql, object? args, DbTransaction tx, CancellationToken ct) =>
        new(sql, args, tx, cancellationToken: ct);

    // Optuna's DateTime columns hold naive local wall-clock times ("2026-11-23 00:50:58.694056").
    internal const string TimeFormat = "yyyy-MM-dd HH:mm:ss.ffffff";

    protected static DateTime NowLocal() => DateTime.Now;

    // What another tool (or a hand edit) wrote that this reader does not know is the storage's content, said in one
    // line as a StorageException: as a FormatException it passed for bad input only because every FormatException did.
    protected static DateTime? ParseTime(string? text) =>
        text is null ? null
        : DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var time) ? DateTime.SpecifyKind(time, DateTimeKind.Local)
        : throw new StorageException($"unreadable time '{text}' in storage");

    protected static T ParseEnum<T>(string name) where T : struct, Enum =>
        Enum.TryParse<T>(name, ignoreCase: false, out var v) ? v : throw new StorageException($"unknown {typeof(T).Name} '{name}' in storage");
}
