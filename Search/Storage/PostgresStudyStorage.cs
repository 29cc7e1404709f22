using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using Dapper;
using Mnist.Search.Vocabulary;
using Npgsql;

namespace Mnist.Search.Storage;

/// <summary>
/// Optuna-compatible PostgreSQL storage, for workers on several machines. Numbering locks the study row
/// (<c>SELECT ... FOR UPDATE</c>); claiming queued trials uses <c>FOR UPDATE SKIP LOCKED</c>; operations survive a
/// server restart by retrying on a fresh connection with exponential backoff.
/// </summary>
internal sealed class PostgresStudyStorage : RelationalStudyStorage
{
    private readonly NpgsqlDataSource _dataSource;

    // The connections of the opening tries, with a shorter connect timeout (OpeningConnectTimeout), unpooled: opening
    // runs one operation, and later ones use _dataSource.
    private readonly NpgsqlDataSource _openingSource;

    /// <summary>
    /// How long one opening try waits for a server to accept the connection and answer the startup (TCP, TLS, login).
    /// Npgsql's default, 15 s, made a server that accepts connections and never answers (a hung server, a port that
    /// swallows them) take 45 s to be said over the three opening tries, where README says "at once". 5 s outlasts two
    /// lost SYNs (Linux resends after 1 s and 3 s) and a TLS handshake plus SCRAM login, 3-4 round trips, over the
    /// slowest link (0.3 s a trip) many times over; a server at its connection limit answers at once (53300), not slowly.
    /// Once the storage is open, Npgsql's 15 s stands: a busy server mid-study is waited for, as before.
    /// </summary>
    internal static readonly TimeSpan OpeningConnectTimeout = TimeSpan.FromSeconds(5);

    // libpq's variable for the connect timeout, in whole seconds: a server that wakes on the first connection
    // (serverless PostgreSQL resumes in about 15 s) needs longer than 5 s a try, and the URL takes no parameters.
    private const string ConnectTimeoutVariable = "PGCONNECT_TIMEOUT";

    private static int OpeningConnectSeconds() =>
        int.TryParse(Environment.GetEnvironmentVariable(ConnectTimeoutVariable), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds >= 1
            ? seconds : (int)OpeningConnectTimeout.TotalSeconds;

    /// <summary>
    /// A coordinator stopped (SIGSTOP, a suspended VM) inside a transaction keeps its trial's row locked, and every
    /// other process's heartbeat sweep would wait on that lock for as long as it stays stopped (issue 11). The server
    /// ends such a session after this long idle in its transaction, releasing the lock; the stopped process, once
    /// continued, retries on a fresh connection.
    /// </summary>
    private static readonly TimeSpan StuckTransactionTimeout = TimeSpan.FromSeconds(10);

    private PostgresStudyStorage(string connectionString, string display)
    {
        _zoneSource = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = OpeningConnectSeconds(), Pooling = false }.ConnectionString;
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        // The session's zone is pinned to UTC: the stored times this storage writes (DbTime) are bound as given, and a
        // worker with another PGTZ cannot change how anything reads. Heartbeats alone follow the database's own zone
        // (HeartbeatZone), which Optuna's sessions compare them in.
        b.Options = $"{b.Options} -c idle_in_transaction_session_timeout={(int)StuckTransactionTimeout.TotalMilliseconds} -c TimeZone=UTC".Trim();
        _dataSource = NpgsqlDataSource.Create(b.ConnectionString);
        _openingSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(b.ConnectionString)
        {
            Timeout = OpeningConnectSeconds(),
            Pooling = false,
        }.ConnectionString);
        Display = display;
    }

    /// <summary>
    /// Connects to an existing Optuna database on a session where the server refuses every write
    /// (<c>default_transaction_read_only</c>); creates nothing. Throws <see cref="StorageException"/> when the
    /// database does not exist or holds no Optuna schema.
    /// </summary>
    public static async Task<PostgresStudyStorage> OpenReadOnlyAsync(string connectionString, CancellationToken ct = default)
    {
        var readOnly = new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c default_transaction_read_only=on" };
        var storage = new PostgresStudyStorage(readOnly.ConnectionString, StorageUrl.DisplayOf(readOnly));
        return await OpenCoreAsync(storage, storage.VerifyAsync, ct);
    }

    /// <summary>The server and database, without the password (for messages).</summary>
    public string Display { get; }

    /// <summary>Connects and creates Optuna's types and tables when the database has none.</summary>
    public static async Task<PostgresStudyStorage> OpenAsync(string connectionString, CancellationToken ct = default)
    {
        var storage = new PostgresStudyStorage(connectionString, StorageUrl.DisplayOf(new NpgsqlConnectionStringBuilder(connectionString)));
        return await OpenCoreAsync(storage, storage.InitializeAsync, ct);
    }

    /// <summary>
    /// The one way a storage is opened, read-only or not: <paramref name="prepare"/> (check or create the schema), learn
    /// the heartbeat zone, mark it opened; on failure it is disposed, an unreachable server said in one line. The two
    /// opens were copies of this, and only one set <c>_opened</c>, so a query command that met a server restart gave
    /// up after the three quick tries of opening (about 0.2 s) with a stack trace.
    /// </summary>
    private static async Task<PostgresStudyStorage> OpenCoreAsync(PostgresStudyStorage storage, Func<CancellationToken, Task> prepare, CancellationToken ct)
    {
        try
        {
            await prepare(ct);
            await storage.LearnHeartbeatZoneAsync(ct);
            storage._opened = true;
            return storage;
        }
        catch (Exception e) when (storage.Unreachable(e) is { } described)
        {
            await storage.DisposeAsync();
            throw described;
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }
    }

    // A server that cannot be reached when the storage is opened is the URL's or the network's problem, not a bug: one
    // line naming the server without the password (it was a stack trace). Later outages are retried, as before. So is a
    // port where another service answers (a mistyped port, an HTTP server): Npgsql's protocol error named no storage and
    // ended in a stack trace. It is not transient, so it was not retried and is not.
    private StorageUnreachableException? Unreachable(Exception e) => e switch
    {
        _ when Unanswered(e) => new StorageUnreachableException($"storage {Display}: cannot reach the database server ({(e.InnerException ?? e).Message})", e),
        NpgsqlException and not PostgresException when NotPostgres(e) => new StorageUnreachableException($"storage {Display}: not a PostgreSQL server ({e.Message})", e),
        _ => null,
    };

    // Npgsql's words (10.x) for a peer that does not speak PostgreSQL's protocol: its first byte answered the SSLRequest
    // with neither S nor N, or a message code it does not know or does not expect where the startup is. A real server's
    // refusals (a wrong password, a missing database) are PostgresExceptions, and a client-side one ("No password has been
    // provided") is none of these.
    private static readonly string[] NotPostgresPrefixes =
        ["Received unknown response", "Unknown message code", "Received unexpected backend message", "Received unexpected authentication request message"];

    private static bool NotPostgres(Exception e) => NotPostgresPrefixes.Any(p => e.Message.StartsWith(p, StringComparison.Ordinal));

    private bool Unanswered(Exception e) => e is NpgsqlException and not PostgresException && IsTransient(e);

    // A server that went away once the storage was open and stayed away through every retry (about 9 s) ended the
    // command with the last NpgsqlException as a stack trace, writable and read-only alike, where one that is down when
    // the storage opens is one line: it is that line too. So is a server that kept answering "shutting down" or
    // "starting up" (57P01-57P03), at opening as well.
    private StorageUnreachableException? Gone(Exception e) => e switch
    {
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" } pe =>
            new StorageUnreachableException($"storage {Display}: the database server is not accepting connections ({pe.MessageText}); gave up after {MaxAttempts} tries", e),
        _ when _opened && Unanswered(e) =>
            new StorageUnreachableException($"storage {Display}: lost the database server and it did not come back within {MaxAttempts} tries ({(e.InnerException ?? e).Message})", e),
        _ => null,
    };

    // A command pointed at a server that does not answer (a wrong port or host, the server down) waited 9 s of silent
    // retries before saying so; psql and Optuna say it at once. Opening gets three quick tries (about 0.2 s) for a
    // connection dropped by chance; once open (writable or read-only), an outage is ridden out with every attempt.
    // A server that answers "starting up" (57P03) still gets them all.
    private bool _opened;
    private const int OpenAttempts = 3;

    protected override int AttemptsFor(Exception error) => !_opened && Unanswered(error) ? OpenAttempts : MaxAttempts;

    // The connection string without this storage's session options, for learning the zone an Optuna session gets.
    private readonly string _zoneSource;

    /// <summary>
    /// The time zone an Optuna (psycopg2) session of this database gets: postgresql.conf, ALTER DATABASE and ALTER ROLE,
    /// learned once when the storage opens from a connection without this storage's <c>TimeZone=UTC</c>. Optuna writes
    /// heartbeats as <c>now()</c> in it and its <c>fail_stale_trials</c> compares them with <c>now()</c> in it: written
    /// in UTC on a database in Asia/Tokyo, every heartbeat of ours was 9 h old to Optuna, and a Python client with a
    /// 120-s grace failed all our running trials (audit-optuna 3).
    /// </summary>
    internal string HeartbeatZone { get; private set; } = "UTC";

    private async Task LearnHeartbeatZoneAsync(CancellationToken ct)
    {
        // The database's zone, not this process's: Npgsql sends PGTZ (and a URL's Timezone=) as the session's zone, which
        // outranks the database's settings, so a coordinator started with PGTZ=Asia/Tokyo learnt Tokyo on a UTC database,
        // read another coordinator's fresh heartbeats as 9 h old and failed its live trials (review 1207 part 2, 1).
        // PGTZ is cleared for this one open; every other session pins UTC in its options. Serialized, so that two storages
        // opening at once do not restore each other's cleared value.
        await ZoneGate.WaitAsync(ct);
        var pgtz = Environment.GetEnvironmentVariable("PGTZ");
        NpgsqlConnection c;
        try
        {
            Environment.SetEnvironmentVariable("PGTZ", null);
            c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_zoneSource) { Timezone = null }.ConnectionString);
            await c.OpenAsync(ct);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGTZ", pgtz);
            ZoneGate.Release();
        }
        await using (c)
            HeartbeatZone = await c.ExecuteScalarAsync<string>(new CommandDefinition("SHOW TimeZone", cancellationToken: ct)) ?? "UTC";
    }

    private static readonly SemaphoreSlim ZoneGate = new(1, 1);

    private string Zone => "'" + HeartbeatZone.Replace("'", "''", StringComparison.Ordinal) + "'";

    // Written in the database's zone, as Optuna writes them; judged by converting them back to an instant, so that our own
    // sweep is not fooled by a daylight-saving jump (a local hour skipped made every heartbeat look an hour old, all
    // running trials swept): an ambiguous local time (the hour repeated in autumn) reads as the later instant, which can
    // make a heartbeat look younger, never older.
    protected override string NowSql => $"(now() AT TIME ZONE {Zone})";
    // A heartbeat more than an hour (a daylight-saving step at most) plus the grace in the future can only be another
    // zone's clock: one written in UTC by an earlier version on a database west of UTC. Stale, or the trials of a process
    // that died before an upgrade held their places for hours (review 1207 part 2, 4).
    protected override string StaleHeartbeatSql =>
        $"((h.heartbeat AT TIME ZONE {Zone}) < now() - @GraceSeconds * INTERVAL '1 second' OR (h.heartbeat AT TIME ZONE {Zone}) > now() + (3600 + @GraceSeconds) * INTERVAL '1 second')";
    protected override string HeartbeatAgeSql => $"CAST(EXTRACT(EPOCH FROM (now() - (h.heartbeat AT TIME ZONE {Zone}))) AS DOUBLE PRECISION)";
    protected override string LockStudySql => "SELECT study_id FROM studies WHERE study_id = @StudyId FOR UPDATE";
    protected override string LockStudyTrialsSql => "SELECT trial_id FROM trials WHERE study_id = @StudyId FOR UPDATE";
    protected override string LockTrialSql => "SELECT CAST(state AS TEXT) FROM trials WHERE trial_id = @TrialId FOR UPDATE";
    protected override string NextWaitingTrialSql => $"{ClaimOrder.WaitingTrialsSql} LIMIT 1 FOR UPDATE SKIP LOCKED";
    // Dapper hands lists to Npgsql as arrays rather than expanding IN (...).
    protected override string StateInListSql => "CAST(t.state AS TEXT) = ANY(@States)";
    protected override string TrialIdInListSql => "t.trial_id = ANY(@Ids)";

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken ct) =>
        await (_opened ? _dataSource : _openingSource).OpenConnectionAsync(ct);

    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    protected override async Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    // 57P01 admin shutdown / 57P02 crash shutdown / 57P03 starting up, class 08 connection errors,
    // 25P03 idle-in-transaction timeout (this process was stopped mid-transaction),
    // 40001 / 40P01 serialization failure and deadlock: all worth a retry on a fresh connection.
    protected override bool IsTransient(Exception error) => error switch
    {
        PostgresException pe => pe.IsTransient || pe.SqlState is "57P01" or "57P02" or "57P03" or "25P03" || pe.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException ne => ne.IsTransient || ne.InnerException is SocketException or IOException or EndOfStreamException or TimeoutException,
        SocketException => true,
        _ => false,
    };

    // 3D000: the database named in the URL does not exist; 28P01/28000: the server refused the login; a server gone
    // for longer than the retries (Describe is asked only once they are spent, or for an error that is not transient).
    protected override Exception? Describe(Exception error) => error switch
    {
        PostgresException { SqlState: "3D000" } e => new StorageException($"storage {Display}: {e.MessageText}", e),
        PostgresException { SqlState: "28P01" or "28000" } e => new StorageException($"storage {Display}: {e.MessageText}", e),
        // Npgsql's own refusal, before the server could say anything: it ended every command in a stack trace, exit 1.
        NpgsqlException e when e is not PostgresException && e.Message.StartsWith("No password has been provided", StringComparison.Ordinal) =>
            new StorageException($"storage {Display}: the server wants a password and none was given (in the URL, PGPASSWORD or ~/.pgpass)", e),
        PostgresException { SqlState: "53100" } e => new StorageFullException($"disk full on the database server of {Display}: {e.MessageText}", e),
        _ => Gone(error),
    };

    // A deadlock or a serialization failure (40P01, 40001) is retried as well, but it is two transactions meeting, not
    // the server failing: nothing to say.
    protected override string? ServerFailedMessage(Exception error) => error is PostgresException { SqlState: "40P01" or "40001" } ? null
        : $"storage {Display}: the database server failed ({OneLine((error.InnerException ?? error).Message)}); trying again, up to {MaxAttempts} tries";

    protected override string AnsweringAgainMessage(TimeSpan after) => $"storage {Display}: the database server answers again (after {Durations.Format(after)})";

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    // After a restart every pooled connection is dead; drop them all instead of failing on each in turn.
    protected override void OnTransientFailure() => _dataSource.Clear();

    protected override object DbTime(DateTime local) => DateTime.SpecifyKind(local, DateTimeKind.Unspecified);

    private const string LockSchemaSql = "SELECT pg_advisory_xact_lock(726370001)";
    private const string HasTableSql = "SELECT to_regclass(@Name) IS NOT NULL";
    private const string AlembicSql = "SELECT version_num FROM alembic_version";
    private const string InsertVersionInfoSql =
        "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, @Schema, @Library)";
    private const string InsertAlembicSql = "INSERT INTO alembic_version (version_num) VALUES (@Revision)";

    private Task VerifyAsync(CancellationToken ct) => RunAsync(async c =>
    {
        if (!await c.ExecuteScalarAsync<bool>(new CommandDefinition(HasTableSql, new { Name = "alembic_version" }, cancellationToken: ct)))
            throw await c.ExecuteScalarAsync<bool>(new CommandDefinition(HasTableSql, new { Name = "studies" }, cancellationToken: ct))
                ? SchemaCheck.NoAlembic(Display) : SchemaCheck.NotOptuna(Display);
        SchemaCheck.RequireHead(Display, await c.QueryAsync<string>(new CommandDefinition(AlembicSql, cancellationToken: ct)));
        return 0;
    }, ct);

    private Task InitializeAsync(CancellationToken ct) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        // Two processes opening a fresh database at once would both try CREATE TYPE; one waits here instead.
        await c.ExecuteAsync(Cmd(LockSchemaSql, null, tx, ct));
        if (await c.ExecuteScalarAsync<bool>(Cmd(HasTableSql, new { Name = "alembic_version" }, tx, ct)))
        {
            SchemaCheck.RequireHead(Display, await c.QueryAsync<string>(Cmd(AlembicSql, null, tx, ct)));
            await c.ExecuteAsync(Cmd("SAVEPOINT number_index", null, tx, ct));
            try
            {
                await c.ExecuteAsync(Cmd(OptunaSchema.TrialNumberIndex, null, tx, ct));
            }
            catch (PostgresException e) when (e.SqlState == "23505") // Optuna-written duplicates: go without the index
            {
                await c.ExecuteAsync(Cmd("ROLLBACK TO SAVEPOINT number_index", null, tx, ct));
            }
        }
        else if (await c.ExecuteScalarAsync<bool>(Cmd(HasTableSql, new { Name = "studies" }, tx, ct)))
        {
            throw SchemaCheck.NoAlembic(Display);
        }
        else
        {
            foreach (var ddl in OptunaSchema.Postgres) await c.ExecuteAsync(Cmd(ddl, null, tx, ct));
            await c.ExecuteAsync(Cmd(InsertVersionInfoSql, new { Schema = OptunaSchema.SchemaVersion, Library = OptunaSchema.LibraryVersion }, tx, ct));
            await c.ExecuteAsync(Cmd(InsertAlembicSql, new { Revision = OptunaSchema.AlembicRevision }, tx, ct));
        }
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    public override async ValueTask DisposeAsync()
    {
        await _openingSource.DisposeAsync();
        await _dataSource.DisposeAsync();
    }
}
