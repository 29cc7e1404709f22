using Mnist.Search.Vocabulary;

namespace Mnist.Search.Storage;

/// <summary>
/// The order WAITING trials are claimed in: this tool's retries first, then by number. With the lowest number first, an
/// Optuna enqueue made once the budget was full took the last place before a retry queued after it, and the retry was
/// the trial left WAITING. Written once as SQL (the claim) and once over snapshots (naming the trials left WAITING
/// beyond the budget, <see cref="Study.WaitingBeyondBudget"/>); the storage contract tests check that claims follow
/// <see cref="Of"/>.
/// </summary>
public static class ClaimOrder
{
    /// <summary>SQL selecting <c>trial_id</c> of <c>@StudyId</c>'s WAITING trials (alias <c>t</c>) in claim order.</summary>
    public static string WaitingTrialsSql =>
        "SELECT trial_id FROM trials t WHERE study_id = @StudyId AND state = 'WAITING' ORDER BY NOT EXISTS "
        + $"(SELECT 1 FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND a.\"key\" = '{StudyAttributes.RetryOf}'), number";

    /// <summary>The WAITING trials among <paramref name="trials"/>, in the order claims take them.</summary>
    public static IEnumerable<TrialSnapshot> Of(IEnumerable<TrialSnapshot> trials) =>
        trials.Where(t => t.State == TrialState.WAITING)
            .OrderBy(t => t.SystemAttrs.ContainsKey(StudyAttributes.RetryOf) ? 0 : 1).ThenBy(t => t.Number);
}
