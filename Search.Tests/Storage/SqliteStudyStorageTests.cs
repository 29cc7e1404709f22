using Mnist.Search.Storage;

namespace Mnist.Search.Tests.Storage;

/// <summary>The storage contract over a fresh SQLite file per test.</summary>
public sealed class SqliteStudyStorageTests : StudyStorageContract
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mnist-storage-").FullName;

    private string Url => $"sqlite:///{Path.Combine(_dir, "nested", "study.db")}";

    protected override Task CreateDatabaseAsync() => Task.CompletedTask;

    protected override Task<IStudyStorage> OpenStorageAsync() => StorageFactory.OpenAsync(Url, _dir);

    protected override Task DropDatabaseAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}
