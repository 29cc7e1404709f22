using Mnist.Search.Storage;

namespace Mnist.Search.Cli;

/// <summary>
/// The SQLite file a command is about to create by opening its storage, so that a refusal after the open (the study
/// folder is another study's, the space differs) removes it again, with the folder made for it: a refusal writes nothing.
/// So does anything else that ends the command before the study is made in it: a SIGTERM in the first second of
/// `study start` or `study create` (a CI step's timeout) left a 0-byte file, Optuna's tables without alembic_version, or
/// the schema without the study, which `study status`, `resume` and `list` then refused as no Optuna database.
/// </summary>
internal sealed class NewDatabaseFile
{
    private readonly string? _path;
    private readonly bool _folderExisted;

    private NewDatabaseFile(string? path, bool folderExisted)
    {
        _path = path;
        _folderExisted = folderExisted;
    }

    /// <summary>This command made the file (<see cref="Before"/> created it, exclusively).</summary>
    public bool IsNew => _path is not null;

    /// <summary>
    /// Creates <paramref name="url"/>'s file, empty, when it is SQLite and not there yet; call before the storage is opened.
    /// Created exclusively (<see cref="FileMode.CreateNew"/>): "not there when looked at" was no proof, and of two
    /// commands started together on one new file the one refused removed the database the other had just made its study in.
    /// When the file cannot be made, nothing is owned and the storage's open says why.
    /// </summary>
    public static NewDatabaseFile Before(string url, string baseDirectory)
    {
        if (StorageUrl.Parse(url, baseDirectory) is not { Kind: StorageKind.Sqlite } sqlite || File.Exists(sqlite.Target))
            return new NewDatabaseFile(null, true);
        var folder = Path.GetDirectoryName(sqlite.Target)!;
        var folderExisted = Directory.Exists(folder);
        try
        {
            Directory.CreateDirectory(folder);
            using (new FileStream(sqlite.Target, FileMode.CreateNew, FileAccess.Write)) { }
            return new NewDatabaseFile(sqlite.Target, folderExisted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!folderExisted) StudyRun.DeleteIfEmpty(folder);
            return new NewDatabaseFile(null, true);
        }
    }

    /// <summary>
    /// Removes the file (and its journal, WAL and reserve) and the folder made for it, when this command made it and no
    /// other process has put anything in it: not when it holds a study this command did not make (another command started
    /// at once made it; this one was refused, as its space differs), nor trials, nor when another process holds it locked.
    /// </summary>
    public void Remove(bool madeTheStudy = false)
    {
        if (_path is null) return;
        if (InUse(madeTheStudy ? "SELECT COUNT(*) FROM trials" : "SELECT COUNT(*) FROM studies")) return;
        // Best effort, on the way out of a failure: the failure is what the user must read (a file where the folder should
        // be made File.Delete throw, and its message replaced the refusal's).
        try
        {
            foreach (var suffix in new[] { "", "-wal", "-shm", "-journal", DiskReserve.Suffix })
                File.Delete(_path + suffix);
            if (!_folderExisted) StudyRun.DeleteIfEmpty(Path.GetDirectoryName(_path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    // Rows that another process wrote, or another connection to the file: in WAL mode a reader is never blocked by a
    // writer, so a process making its schema (uncommitted) or one that joined the study without a trial yet showed no
    // rows and no lock, and the file was deleted under it. Switching the journal mode away from WAL needs the only
    // connection to the file: it fails, "database is locked", while any other process has it open. This process's own
    // pooled connections are closed first.
    private bool InUse(string countSql)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            using var c = new Microsoft.Data.Sqlite.SqliteConnection(
                new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = _path, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 1 }.ToString());
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA busy_timeout = 0";
            cmd.ExecuteNonQuery();
            try
            {
                cmd.CommandText = countSql;
                if (Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0) return true;
            }
            // No such table: the schema was never made (or is not committed yet: the journal mode below says).
            catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 1) { }
            cmd.CommandText = "PRAGMA journal_mode = DELETE";
            cmd.ExecuteScalar();
            return false;
        }
        // A full disk (the failure being cleaned up after): nobody could have written to it either.
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 13) { return false; }
        // Locked or busy: another connection has it. Anything else unexpected: keep the file (a leftover is the lesser harm).
        catch (Microsoft.Data.Sqlite.SqliteException) { return true; }
        // An empty or unreadable file that cannot even be opened: nothing of anyone's.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
