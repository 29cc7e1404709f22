namespace Mnist.Search.Storage;

/// <summary>Checks that an existing database is at the Optuna schema revision this storage speaks.</summary>
/// <remarks>
/// A database of another revision or without Optuna's revision table is a file this tool cannot read, as one with no
/// Optuna schema: a <see cref="StorageException"/>, so the command line refuses it in one line (exit 2) and
/// `study list` skips it instead of hiding every other study.
/// </remarks>
internal static class SchemaCheck
{
    public static void RequireHead(string where, IEnumerable<string> revisions)
    {
        var found = revisions.ToList();
        if (found.Count != 1 || found[0] != OptunaSchema.AlembicRevision)
            throw new StorageException(
                $"storage {where}: Optuna schema revision '{string.Join(",", found)}' is not '{OptunaSchema.AlembicRevision}'; " +
                "upgrade it with `optuna storage upgrade --storage URL` (Optuna 4)");
    }

    public static StorageException NotOptuna(string where) =>
        new($"storage {where}: not an Optuna study database (it has no 'alembic_version' table); check the --storage URL");

    public static StorageException NoAlembic(string where) =>
        new($"storage {where}: holds a 'studies' table but no 'alembic_version'; it is not an Optuna {OptunaSchema.LibraryVersion}-compatible database");
}
