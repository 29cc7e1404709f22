using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Mnist.Search.Storage;

/// <summary>Opens the <see cref="IStudyStorage"/> (or a read-only connection) a storage URL names.</summary>
public static class StorageFactory
{
    /// <summary>
    /// Opens the storage at <paramref name="url"/> (see <see cref="StorageUrl"/>), creating the SQLite folder and file
    /// and Optuna's tables when missing. Throws <see cref="FormatException"/> for a bad URL and
    /// <see cref="StorageException"/> for a database at another Optuna schema revision.
    /// </summary>
    public static Task<IStudyStorage> OpenAsync(string url, string baseDirectory, CancellationToken ct = default) =>
        OpenAsync(StorageUrl.Parse(url, baseDirectory), ct);

    public static async Task<IStudyStorage> OpenAsync(StorageUrl url, CancellationToken ct = default) => url.Kind switch
    {
        StorageKind.Sqlite => await SqliteStudyStorage.OpenAsync(url.Target, ct),
        _ => await PostgresStudyStorage.OpenAsync(url.Target, ct),
    };

    /// <summary>
    /// Opens an existing study database for reading only (the query commands): nothing is created, migrated or
    /// switched (no folder, file, table or WAL mode), and the database itself refuses writes. Throws
    /// <see cref="StorageException"/> when the database does not exist or is not an Optuna database.
    /// </summary>
    public static async Task<IStudyStorage> OpenReadOnlyAsync(string url, string baseDirectory, CancellationToken ct = default)
    {
        var parsed = StorageUrl.Parse(url, baseDirectory);
        return parsed.Kind switch
        {
            StorageKind.Sqlite => await SqliteStudyStorage.OpenReadOnlyAsync(parsed.Target, ct),
            _ => await PostgresStudyStorage.OpenReadOnlyAsync(parsed.Target, ct),
        };
    }

    /// <summary>
    /// An open connection on which the database itself refuses writes (for ad-hoc SQL such as <c>trials sql</c>):
    /// SQLite opened with <c>Mode=ReadOnly</c>, PostgreSQL with <c>default_transaction_read_only=on</c>.
    /// A missing SQLite file is an error (it is not created). The caller disposes the connection.
    /// </summary>
    public static async Task<DbConnection> OpenReadOnlyConnectionAsync(string url, string baseDirectory, CancellationToken ct = default)
    {
        var parsed = StorageUrl.Parse(url, baseDirectory);
        if (parsed.Kind == StorageKind.Sqlite)
        {
            if (!File.Exists(parsed.Target)) throw new StorageException($"storage {parsed.Display}: no such database file");
            return await SqliteReadOnlyFile.OpenAsync(parsed.Target, busyTimeoutSeconds: 30, ct);
        }
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(parsed.Target)
        {
            Options = "-c default_transaction_read_only=on",
            Pooling = false, // one-shot use; a pooled connection may be stale after a server restart
        }.ToString());
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
