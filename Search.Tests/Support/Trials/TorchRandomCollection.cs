namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// Tests that compare losses of two same-seed runs in this process. Model initialisation and dropout draw
/// from libtorch's one global generator (<c>torch.manual_seed</c>), so any other test building a model at the
/// same time would shift the draws; this collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomCollection
{
    public const string Name = "torch global random numbers";
}
