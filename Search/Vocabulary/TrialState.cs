namespace Mnist.Search.Vocabulary;

/// <summary>Lifecycle of a trial. Names match Optuna's <c>TrialState</c> and are stored as text.</summary>
public enum TrialState
{
    RUNNING,
    COMPLETE,
    PRUNED,
    FAIL,
    WAITING,
}

public static class TrialStateExtensions
{
    /// <summary>True once a trial can no longer change (COMPLETE, PRUNED, FAIL).</summary>
    public static bool IsFinished(this TrialState state) =>
        state is TrialState.COMPLETE or TrialState.PRUNED or TrialState.FAIL;
}
