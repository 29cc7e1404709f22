using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Support.Cluster;

/// <summary>
/// Test classes marked <c>[Collection(SlurmCollection.Name)]</c> share one live <see cref="SlurmClusterFixture"/>
/// and a PostgreSQL server (the storage job arrays share), and run one at a time: the node's CPUs are few.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SlurmCollection : ICollectionFixture<SlurmClusterFixture>, ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "Slurm cluster";
}
