namespace Mnist.Protocol.Hyperparameters;

/// <summary>The JSON kind a worker hyperparameter takes.</summary>
public enum HyperparameterKind
{
    Int,
    Float,
    Bool,
    String,
}
