using Mnist.Search.Vocabulary;

namespace Mnist.Search.Pruning;

/// <summary>Never prunes (Optuna's <c>NopPruner</c>): the null object for <c>"pruner": {"kind": "none"}</c>.</summary>
public sealed class NopPruner : IPruner
{
    public static readonly NopPruner Instance = new();

    public bool ShouldPrune(TrialSnapshot trial, IReadOnlyList<TrialSnapshot> trials, StudyDirection direction) => false;

    public override string ToString() => "none: every trial runs all its epochs";
}
