namespace Mnist.Search.Storage;

/// <summary>The database behind a <see cref="StorageUrl"/>.</summary>
public enum StorageKind
{
    Sqlite,
    Postgres,
}
