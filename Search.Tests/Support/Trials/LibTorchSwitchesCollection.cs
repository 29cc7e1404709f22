namespace Mnist.Search.Tests.Support.Trials;

/// <summary>
/// Tests that turn libtorch's process-wide kernel switches (oneDNN, NNPACK) on and back. While oneDNN is on, any
/// convolution trained at the same time can get NaN gradients (see LibTorchFlags), so this collection runs alone,
/// after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibTorchSwitchesCollection
{
    public const string Name = "libtorch global switches";
}
