namespace Mnist.Search.Config;

/// <summary>What one worker hyperparameter accepts: a kind, an optional closed range and, for strings, a set of values.</summary>
public sealed record HyperparameterSpec(HyperparameterKind Kind, double? Min = null, double? Max = null, IReadOnlyList<string>? Allowed = null);
