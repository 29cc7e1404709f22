namespace Mnist.Search.Config;

/// <summary>The JSON kind a worker hyperparameter takes.</summary>
public enum HyperparameterKind
{
    Int,
    Float,
    Bool,
    String,
}
