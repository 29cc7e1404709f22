using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

/// <summary>
/// Optuna-compatible SQLite storage. WAL lets readers run beside the one writer; every write is a
/// <c>BEGIN IMMEDIATE</c> transaction, so writers queue on the database lock (<see cref="LockWait"/>) instead of
/// failing with "database is locked" when a deferred transaction would need to upgrade its lock.
/// </summary>
/// <remarks>
/// A writable storage keeps a reserve file (<see cref="DiskReserve"/>) beside the database: when the disk fills,
/// the failing write releases it so the coordinator can still record its running trials FAIL (issue 11).
/// A read-only storage (<see cref="OpenReadOnlyAsync"/>) never creates, migrates or switches anything.
/// </remarks>
internal sealed class SqliteStudyStorage : RelationalStudyStorage
{
    private readonly string _connectionString;
    private readonly bool _readOnly;

    private SqliteStudyStorage(string path, bool readOnly, bool immutable = false)
    {
        Path = path;
        _readOnly = readOnly;
        _connectionString = readOnly
            ? SqliteReadOnlyFile.ConnectionString(path, immutable, BusyTimeoutSeconds(LockWait.PerAttempt))
            : new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = true,
                DefaultTimeout = BusyTimeoutSeconds(LockWait.PerAttempt),
            }.ToString();
    }

    private static int BusyTimeoutSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    /// <summary>The database file.</summary>
    public string Path { get; }

    private string Display => "sqlite:///" + Path;

    /// <summary>Opens (creating the folder, file and Optuna's tables when missing) the database at <paramref name="path"/>.</summary>
    public static async Task<SqliteStudyStorage> OpenAsync(string path, CancellationToken ct = default)
    {
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"storage sqlite:///{full}: cannot create its folder {folder} ({Files.PathInTheWay.Describe(folder) ?? e.Message})", e);
        }
        var storage = new SqliteStudyStorage(full, readOnly: false);
        await storage.InitializeAsync(ct);
        DiskReserve.Ensure(full);
        return storage;
    }

    /// <summary>
    /// Opens an existing Optuna database read-only: nothing is created, migrated or switched to WAL. Throws
    /// <see cref="StorageException"/> when the file is missing or holds no Optuna schema.
    /// </summary>
    public static async Task<SqliteStudyStorage> OpenReadOnlyAsync(string path, CancellationToken ct = default)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new StorageException($"storage sqlite:///{full}: no such database file");
        var storage = new SqliteStudyStorage(full, readOnly: true);
        try { await storage.VerifyAsync(ct); }
        catch (StorageException e) when (e.InnerException is { } cause && SqliteReadOnlyFile.NeedsImmutable(cause, full))
        {
            await storage.DisposeAsync();
            storage = new SqliteStudyStorage(full, readOnly: true, immutable: true);
            await storage.VerifyAsync(ct);
        }
        return storage;
    }

    // CURRENT_TIMESTAMP (UTC, as Optuna's func.now() on SQLite) with the six fraction digits Optuna's DATETIME writes.
    protected override string NowSql => "strftime('%Y-%m-%d %H:%M:%f000', 'now')";
    protected override string StaleHeartbeatSql => "julianday(h.heartbeat) < julianday('now') - @GraceSeconds / 86400.0";
    protected override string HeartbeatAgeSql => "(julianday('now') - julianday(h.heartbeat)) * 86400.0";
    protected override string LockStudySql => "SELECT study_id FROM studies WHERE study_id = @StudyId";
    protected override string LockStudyTrialsSql => "SELECT trial_id FROM trials WHERE study_id = @StudyId";
    protected override string LockTrialSql => "SELECT state FROM trials WHERE trial_id = @TrialId";
    protected override string NextWaitingTrialSql => $"{ClaimOrder.WaitingTrialsSql} LIMIT 1";
    protected override string StateInListSql => "CAST(t.state AS TEXT) IN @States";
    protected override string TrialIdInListSql => "t.trial_id IN @Ids";

    private static string SessionPragmasSql => $"PRAGMA busy_timeout = {BusyTimeoutSeconds(LockWait.PerAttempt) * 1000}; PRAGMA synchronous = NORMAL;";

    protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        try
        {
            await c.OpenAsync(ct);
            if (!_readOnly) await c.ExecuteAsync(new CommandDefinition(SessionPragmasSql, cancellationToken: ct));
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    // Microsoft.Data.Sqlite issues BEGIN IMMEDIATE for a non-deferred transaction.
    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    // SQLITE_BUSY (5) and SQLITE_LOCKED (6) outlasting the busy timeout: back off and try again.
    protected override bool IsTransient(Exception error) => error is SqliteException { SqliteErrorCode: 5 or 6 };

    protected override bool CanLimitLockWait => true;

    // A reader waits in Microsoft.Data.Sqlite's retry loop (the command timeout), a writer in SQLite's busy handler
    // too; the pragma lasts on the pooled handle, and every writer's open sets it again (SessionPragmasSql).
    protected override async Task LimitLockWaitAsync(DbConnection connection, TimeSpan wait, CancellationToken ct)
    {
        ((SqliteConnection)connection).DefaultTimeout = BusyTimeoutSeconds(wait);
        if (!_readOnly)
            await connection.ExecuteAsync(new CommandDefinition($"PRAGMA busy_timeout = {BusyTimeoutSeconds(wait) * 1000}", cancellationToken: ct));
    }

    protected override string WaitingMessage =>
        $"waiting for {Display}: locked by another process (giving up after about {Durations.Format(LockWait.PerAttempt * MaxAttempts)})";

    // SQLite's own messages ("SQLite Error 26: 'file is not a database'") name no file; these do.
    protected override Exception? Describe(Exception error) => error switch
    {
        SqliteException { SqliteErrorCode: 13 } e => new StorageFullException(
            $"disk full: cannot write {Display}{(DiskReserve.Release(Path) ? " (its reserve file was released so running trials can be recorded)" : "")}; free space and run the same command again", e),
        SqliteException { SqliteErrorCode: 26 or 11 } e => new StorageException(
            $"storage {Display}: the file is corrupt or not a SQLite database (SQLite error {e.SqliteErrorCode}); restore it from a copy or point --storage elsewhere", e),
        SqliteException { SqliteErrorCode: 14 } e => new StorageException(_readOnly
            ? $"storage {Display}: cannot open the database file (SQLite error 14); check that you may read it and, if it has a -wal file, " +
              $"that you may write its folder {System.IO.Path.GetDirectoryName(Path)} (SQLite keeps the -shm file there) or copy both elsewhere"
            : $"storage {Display}: cannot open the database file; is its folder {System.IO.Path.GetDirectoryName(Path)} writable?", e),
        SqliteException { SqliteErrorCode: 5 or 6 } e => new StorageLockedException(
            $"storage {Display}: locked by another process for longer than this command waits (about {Durations.Format(LockWait.PerAttempt * MaxAttempts)}; " +
            $"SQLite error {e.SqliteErrorCode}); run it again once that process has finished or been stopped", e),
        SqliteException { SqliteErrorCode: 8 } e when !_readOnly => new StorageException(
            $"storage {Display}: the database or its folder is read-only (SQLite error 8)", e),
        SqliteException { SqliteErrorCode: 8 } e => new StorageException(
            $"storage {Display}: SQLite cannot read it without writing its WAL side files (-wal, -shm) in {System.IO.Path.GetDirectoryName(Path)}, " +
            "which is read-only here (SQLite error 8); copy the database with its -wal file to a folder you can write", e),
        _ => null,
    };

    protected override object DbTime(DateTime local) => local.ToString(TimeFormat, System.Globalization.CultureInfo.InvariantCulture);

    private const string TablesSql = "SELECT name FROM sqlite_master WHERE type = 'table'";
    private const string AlembicSql = "SELECT version_num FROM alembic_version";
    private const string InsertVersionInfoSql =
        "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, @Schema, @Library)";
    private const string InsertAlembicSql = "INSERT INTO alembic_version (version_num) VALUES (@Revision)";

    private Task VerifyAsync(CancellationToken ct) => RunAsync(async c =>
    {
        var tables = (await c.QueryAsync<string>(new CommandDefinition(TablesSql, cancellationToken: ct))).ToHashSet();
        if (!tables.Contains("alembic_version"))
            throw tables.Contains("studies") ? SchemaCheck.NoAlembic(Display) : SchemaCheck.NotOptuna(Display);
        SchemaCheck.RequireHead(Path, await c.QueryAsync<string>(new CommandDefinition(AlembicSql, cancellationToken: ct)));
        return 0;
    }, ct);

    private Task InitializeAsync(CancellationToken ct) => RunAsync(async c =>
    {
        // journal_mode is persistent and cannot change inside a transaction.
        await c.ExecuteScalarAsync<string>(new CommandDefinition("PRAGMA journal_mode = WAL", cancellationToken: ct));
        await using var tx = ((SqliteConnection)c).BeginTransaction(deferred: false);
        var tables = (await c.QueryAsync<string>(Cmd(TablesSql, null, tx, ct))).ToHashSet();
        if (tables.Contains("alembic_version"))
        {
            SchemaCheck.RequireHead(Path, await c.QueryAsync<string>(Cmd(AlembicSql, null, tx, ct)));
            await TryAddNumberIndexAsync(c, tx, ct);
        }
        else if (tables.Contains("studies"))
        {
            throw SchemaCheck.NoAlembic(Path);
        }
        else
        {
            foreach (var ddl in OptunaSchema.Sqlite) await c.ExecuteAsync(Cmd(ddl, null, tx, ct));
            await c.ExecuteAsync(Cmd(InsertVersionInfoSql, new { Schema = OptunaSchema.SchemaVersion, Library = OptunaSchema.LibraryVersion }, tx, ct));
            await c.ExecuteAsync(Cmd(InsertAlembicSql, new { Revision = OptunaSchema.AlembicRevision }, tx, ct));
        }
        await tx.CommitAsync(ct);
        return 0;
    }, ct);

    // A database Optuna itself wrote may already hold duplicate numbers; then it stays without the index.
    private static async Task TryAddNumberIndexAsync(DbConnection c, DbTransaction tx, CancellationToken ct)
    {
        await c.ExecuteAsync(Cmd("SAVEPOINT number_index", null, tx, ct));
        try
        {
            await c.ExecuteAsync(Cmd(OptunaSchema.TrialNumberIndex, null, tx, ct));
            await c.ExecuteAsync(Cmd("RELEASE number_index", null, tx, ct));
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT
        {
            await c.ExecuteAsync(Cmd("ROLLBACK TO number_index", null, tx, ct));
        }
    }

    public override ValueTask DisposeAsync()
    {
        // Pooled handles keep the file open; release them so the file can be moved or deleted.
        using var c = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(c);
        return ValueTask.CompletedTask;
    }
}
