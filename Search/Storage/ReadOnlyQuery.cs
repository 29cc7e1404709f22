using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Mnist.Search.Storage;

/// <summary>
/// Runs one ad-hoc query (<c>trials sql</c>) so that it cannot change anything: <see cref="SqlGuard"/> lets through
/// one statement that starts as a query, on a connection where the database refuses writes. On PostgreSQL the
/// statement runs inside a <c>READ ONLY</c> transaction that has already taken its snapshot (so neither
/// <c>SET TRANSACTION READ WRITE</c> nor <c>set_config</c> can turn it writable) and is rolled back.
/// </summary>
public static class ReadOnlyQuery
{
    /// <summary>
    /// The rows a query gave, at most the limit asked for; <see cref="Truncated"/> when it had more. Dates and times are
    /// text, as SQLite holds Optuna's (<c>2026-12-06 18:58:38.523192</c>), on PostgreSQL too.
    /// </summary>
    public sealed record Result(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows, bool Truncated = false);

    /// <summary>
    /// Runs <paramref name="sql"/> on the storage <paramref name="url"/> and reads at most <paramref name="maxRows"/> of
    /// its rows: every row is held until it is printed, and a runaway query (a recursive CTE without end) grew the process
    /// by gigabytes and printed nothing. Throws <see cref="QueryRefusedException"/> for SQL the guard refuses or the
    /// database rejects or for a value it returns that cannot be read (naming the column and its type),
    /// <see cref="StorageException"/> for a missing database.
    /// </summary>
    public static async Task<Result> RunAsync(string url, string baseDirectory, string sql, int maxRows, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRows);
        var parsed = StorageUrl.Parse(url, baseDirectory);
        SqlGuard.Check(sql, parsed.Kind);
        await using var connection = await StorageFactory.OpenReadOnlyConnectionAsync(url, baseDirectory, ct);
        // Microsoft.Data.Sqlite looks at the token only before a statement starts, so a long query (a recursive CTE,
        // a cross join) ran on through Ctrl+C until the 60 s grace ended the process. sqlite3_interrupt stops it
        // at its next step; Npgsql cancels on the server by itself.
        await using var interrupt = connection is SqliteConnection sqlite
            ? ct.Register(() => { if (sqlite.Handle is { } handle) SQLitePCL.raw.sqlite3_interrupt(handle); })
            : default;
        DbTransaction? tx = null;
        try
        {
            if (connection is NpgsqlConnection)
            {
                tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
                await using var snapshot = connection.CreateCommand();
                snapshot.Transaction = tx;
                snapshot.CommandText = "SET TRANSACTION READ ONLY; SELECT 1";
                await snapshot.ExecuteNonQueryAsync(ct);
            }
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            var rows = new List<IReadOnlyDictionary<string, object?>>();
            var truncated = false;
            var unreadable = false;
            string[] columns;
            var reader = await cmd.ExecuteReaderAsync(ct);
            try
            {
                columns = UniqueNames(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
                while (await reader.ReadAsync(ct))
                {
                    if (rows.Count == maxRows) { truncated = true; break; }
                    try { rows.Add(columns.Select((c, i) => KeyValuePair.Create(c, QueryValues.Read(reader, i, c))).ToDictionary(kv => kv.Key, kv => kv.Value)); }
                    catch (QueryRefusedException) { unreadable = true; throw; }
                }
            }
            finally
            {
                // Closing an Npgsql reader reads every row the query has left, which for an endless one never ends: the
                // server is told to stop first, and its "canceled" answer is what closing then meets. So too when a
                // value could not be read and the rows are given up.
                if (truncated || unreadable) cmd.Cancel();
                try { await reader.DisposeAsync(); }
                catch (DbException) when (truncated || unreadable) { }
            }
            return new Result(columns, rows, truncated);
        }
        catch (DbException e) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException("query interrupted", e, ct);
        }
        catch (DbException e)
        {
            throw new QueryRefusedException($"query failed: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            if (tx is not null)
            {
                try { await tx.RollbackAsync(CancellationToken.None); }
                catch (Exception e) when (e is DbException or InvalidOperationException) { }
                await tx.DisposeAsync();
            }
        }
    }

    // `SELECT t.number, v.number ...` names two columns alike; each row is a name → value map, so the later ones
    // become number_2, number_3 (it was an ArgumentException from the map).
    private static string[] UniqueNames(IEnumerable<string> names)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unique = new List<string>();
        foreach (var name in names)
        {
            var candidate = name;
            for (var n = 2; !seen.Add(candidate); n++) candidate = $"{name}_{n}";
            unique.Add(candidate);
        }
        return unique.ToArray();
    }
}
