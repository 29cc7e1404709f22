using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Storage;

/// <summary>The storage contract over a fresh PostgreSQL database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStudyStorageTests(PostgresServerFixture server) : StudyStorageContract
{
    private string _url = "";

    protected override async Task CreateDatabaseAsync() => _url = await server.CreateDatabaseAsync();

    protected override Task<IStudyStorage> OpenStorageAsync() => StorageFactory.OpenAsync(_url, "/");
}
