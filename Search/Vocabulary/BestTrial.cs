
namespace Mnist.Search.Vocabulary;

/// <summary>The best COMPLETE trial of a history (Optuna's <c>study.best_trial</c>).</summary>
public static class BestTrial
{
    public static TrialSnapshot? Of(IReadOnlyList<TrialSnapshot> trials, StudyDirection direction)
    {
        var complete = trials.Where(t => t.State == TrialState.COMPLETE && t.Value is { } v && double.IsFinite(v));
        return direction == StudyDirection.MINIMIZE
            ? complete.OrderBy(t => t.Value).ThenBy(t => t.Number).FirstOrDefault()
            : complete.OrderByDescending(t => t.Value).ThenBy(t => t.Number).FirstOrDefault();
    }
}
