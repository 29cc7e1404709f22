namespace Mnist.Search.Tests.Support.Trials;

/// <summary>Worker-process tests run one at a time: each child process trains with its own threads, and the machine is small.</summary>
[CollectionDefinition(Name)]
public sealed class WorkerProcessCollection
{
    public const string Name = "Trials worker processes";
}
