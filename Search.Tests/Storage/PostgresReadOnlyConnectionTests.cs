using Dapper;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Vocabulary;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class PostgresReadOnlyConnectionTests(PostgresServerFixture server)
{
    [Fact]
    public async Task WhenAReadOnlyConnectionWritesThenPostgresItselfRefuses()
    {
        // Given
        var url = await server.CreateDatabaseAsync();
        await using (var s = await StorageFactory.OpenAsync(url, "/"))
            await s.CreateStudyAsync("s", StudyDirection.MAXIMIZE);

        // When
        await using var c = await StorageFactory.OpenReadOnlyConnectionAsync(url, "/");

        // Then
        Assert.Equal(1, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM studies"));
        var e = await Assert.ThrowsAsync<PostgresException>(() => c.ExecuteAsync("DELETE FROM studies"));
        Assert.Equal("25006", e.SqlState); // read_only_sql_transaction
    }
}
