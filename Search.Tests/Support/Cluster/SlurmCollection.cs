using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Support.Cluster;

/// <summary>
/// Test classes marked <c>[Collection(SlurmCollection.Name)]</c> share one live <see cref="SlurmClusterFixture"/>
/// and a private PostgreSQL server (the storage job arrays share; private so that no restart test in another
/// collection restarts it under them), and run one at a time: the node's CPUs are few.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SlurmCollection : ICollectionFixture<SlurmClusterFixture>, ICollectionFixture<PrivatePostgresServerFixture>
{
    public const string Name = "Slurm cluster";
}
