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

    private NewDatabaseFile(string? path)
    {
        _path = path;
        _folderExisted = path is null || Directory.Exists(Path.GetDirectoryName(path));
    }

    /// <summary>The command creates the file: it was not there when <see cref="Before"/> looked.</summary>
    public bool IsNew => _path is not null;

    /// <summary>Notes <paramref name="url"/>'s file when it is SQLite and not there yet; call before the storage is opened.</summary>
    public static NewDatabaseFile Before(string url, string baseDirectory) =>
        new(StorageUrl.Parse(url, baseDirectory) is { Kind: StorageKind.Sqlite } sqlite && !File.Exists(sqlite.Target) ? sqlite.Target : null);

    /// <summary>Removes the file (and its journal, WAL and reserve) and the folder made for it, if the open made them.</summary>
    public void Remove()
    {
        if (_path is null) return;
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
}
