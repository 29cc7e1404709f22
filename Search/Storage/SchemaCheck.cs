namespace Mnist.Search.Storage;

/// <summary>Checks that an existing database is at the Optuna schema revision this storage speaks.</summary>
internal static class SchemaCheck
{
    public static void RequireHead(string where, IEnumerable<string> revisions)
    {
        var found = revisions.ToList();
        if (found.Count != 1 || found[0] != OptunaSchema.AlembicRevision)
            throw new InvalidOperationException(
                $"storage {where}: Optuna schema revision '{string.Join(",", found)}' is not '{OptunaSchema.AlembicRevision}'; " +
                "upgrade it with `optuna storage upgrade --storage URL` (Optuna 4)");
    }

    public static StorageException NotOptuna(string where) =>
        new($"storage {where}: not an Optuna study database (it has no 'alembic_version' table); check the --storage URL");

    public static InvalidOperationException NoAlembic(string where) =>
        new($"storage {where}: holds a 'studies' table but no 'alembic_version'; it is not an Optuna {OptunaSchema.LibraryVersion}-compatible database");
}
