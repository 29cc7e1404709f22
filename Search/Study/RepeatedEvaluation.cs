using Mnist.Search.Config;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// Which configuration, if any, the next trial should evaluate again (<c>selection</c> in search.json), from the
/// trials alone so that every coordinator of a study agrees. Once no more new trials may start than repeats are
/// still owed, each new trial repeats the best-valued COMPLETE original (not itself a repeat) among the top
/// <see cref="SelectionConfig.Candidates"/> that has fewer than <see cref="SelectionConfig.Repeats"/> repeats.
/// The candidates are ranked again for every repeat, so a trial that finishes late with a better value still gets
/// its repeats before lesser ones get theirs. With fewer finished candidates than planned, the sampler proposes.
/// <para>Why: on the real objective one training seed's value is ±0.2–0.5 pp, about the difference between good
/// configurations, and the best of a study's values is mostly the luckiest seed (issue 9). Two more seeds of the
/// top three cost six of the budget's trials and make the choice a mean of three (what that buys, measured: see
/// <see cref="SelectionConfig"/>).</para>
/// <para>Two coordinators asking at the same moment may both repeat one candidate; the budget stays exact (the
/// storage caps trial numbers) and the choice still ranks means, over two or three evaluations.</para>
/// </summary>
public static class RepeatedEvaluation
{
    public static TrialSnapshot? Next(IReadOnlyList<TrialSnapshot> trials, StudyDirection direction, SelectionConfig plan, Budget budget)
    {
        if (plan.Trials <= 0) return null;
        var repeats = Repeats(trials);
        var owed = plan.Trials - repeats.Values.Sum();
        if (owed <= 0 || budget.Total - budget.Used - budget.InFlight > owed) return null;

        var originals = trials.Where(t => BestTrial.Competes(t) && BestTrial.RepeatOf(t) is null);
        var ranked = direction == StudyDirection.MINIMIZE
            ? originals.OrderBy(t => t.Value).ThenBy(t => t.Number)
            : originals.OrderByDescending(t => t.Value).ThenBy(t => t.Number);
        return ranked.Take(plan.Candidates).FirstOrDefault(t => repeats.GetValueOrDefault(t.Number) < plan.Repeats);
    }

    /// <summary>How many of the budget's trials are still kept for repeats: none of them may go to anything else.</summary>
    public static int Owed(IReadOnlyList<TrialSnapshot> trials, SelectionConfig plan) =>
        Math.Max(0, plan.Trials - Repeats(trials).Values.Sum());

    // Repeats that count, per original: finished ones (like the budget, a FAIL that was queued again is replaced by
    // its retry) and running ones.
    private static Dictionary<int, int> Repeats(IReadOnlyList<TrialSnapshot> trials)
    {
        var retried = Budget.Retried(trials);
        return trials
            .Where(t => BestTrial.RepeatOf(t) is not null && !(t.State == TrialState.FAIL && retried.Contains(t.Number)))
            .GroupBy(t => BestTrial.RepeatOf(t)!.Value)
            .ToDictionary(g => g.Key, g => g.Count());
    }
}
