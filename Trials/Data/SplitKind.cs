namespace Mnist.Trials.Data;

/// <summary>Which half of an MNIST-format dataset to load.</summary>
internal enum SplitKind
{
    Train,
    Test,
}
