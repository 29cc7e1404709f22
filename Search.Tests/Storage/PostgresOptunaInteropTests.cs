using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Storage;

/// <summary>Optuna 4 (psycopg2) reads and writes our PostgreSQL database, native ENUM types included.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOptunaInteropTests(PostgresServerFixture server) : OptunaInteropContract
{
    protected override Task<string> CreateDatabaseUrlAsync() => server.CreateDatabaseAsync();
}
