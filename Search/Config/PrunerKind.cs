namespace Mnist.Search.Config;

/// <summary><c>pruner.kind</c>.</summary>
public enum PrunerKind
{
    None,
    Median,
    Asha,
    Hyperband,
}
