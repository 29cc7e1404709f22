using System.Text;
using Microsoft.Data.Sqlite;

namespace Mnist.Search.Storage;

/// <summary>
/// How a read-only connection reaches a SQLite file. A database in WAL mode (as this tool writes it) needs its
/// <c>-shm</c> side file even to be read; closed cleanly (no <c>-wal</c> beside it) in a folder the reader cannot
/// write, SQLite cannot create that file and refuses the read with SQLITE_READONLY (8). SQLite's documented way
/// to read it anyway is the URI parameter <c>immutable=1</c> (sqlite.org/wal.html#readonly, sqlite.org/uri.html):
/// no locks, no side files.
/// </summary>
/// <remarks>
/// Immutable is taken only when no <c>-wal</c> exists: then every committed page is in the main file. A writer that
/// can write the folder and starts meanwhile commits into a new <c>-wal</c> the immutable reader does not see; only a
/// checkpoint rewrites the main file, and a query's read is short.
/// </remarks>
internal static class SqliteReadOnlyFile
{
    public static string ConnectionString(string path, bool immutable, int busyTimeoutSeconds) => new SqliteConnectionStringBuilder
    {
        DataSource = immutable ? ImmutableUri(path) : path,
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = true,
        DefaultTimeout = busyTimeoutSeconds,
    }.ToString();

    /// <summary>True when <paramref name="error"/> is SQLite refusing to create the side files of a closed WAL database.</summary>
    public static bool NeedsImmutable(Exception error, string path) =>
        error is SqliteException { SqliteErrorCode: 8 } && !File.Exists(path + "-wal");

    /// <summary>An open read-only connection to <paramref name="path"/>, immutable when only that lets it read.</summary>
    public static async Task<SqliteConnection> OpenAsync(string path, int busyTimeoutSeconds, CancellationToken ct)
    {
        try { return await OpenCheckedAsync(ConnectionString(path, immutable: false, busyTimeoutSeconds), ct); }
        catch (SqliteException e) when (NeedsImmutable(e, path))
        {
            return await OpenCheckedAsync(ConnectionString(path, immutable: true, busyTimeoutSeconds), ct);
        }
    }

    // Opening alone touches no side file; the first read of the schema does.
    private static async Task<SqliteConnection> OpenCheckedAsync(string connectionString, CancellationToken ct)
    {
        var c = new SqliteConnection(connectionString);
        try
        {
            await c.OpenAsync(ct);
            await using var probe = c.CreateCommand();
            probe.CommandText = "SELECT COUNT(*) FROM sqlite_master";
            await probe.ExecuteScalarAsync(ct);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    // A URI filename must percent-encode '?', '#', '%' and anything outside the unreserved characters.
    private static string ImmutableUri(string path)
    {
        var uri = new StringBuilder("file:");
        foreach (var b in Encoding.UTF8.GetBytes(path))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '~' or '-') uri.Append(c);
            else uri.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return uri.Append("?immutable=1").ToString();
    }
}
