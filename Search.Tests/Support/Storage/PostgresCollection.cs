namespace Mnist.Search.Tests.Support.Storage;

/// <summary>Test classes marked <c>[Collection(PostgresCollection.Name)]</c> share one <see cref="PostgresServerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "PostgreSQL server";
}
