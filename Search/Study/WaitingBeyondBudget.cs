using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Serilog;

namespace Mnist.Search.Study;

/// <summary>
/// WAITING trials the budget has no place for (<see cref="Budget.WaitingBeyond"/>: an Optuna client's
/// <c>enqueue_trial</c> after the budget was spent, or queued trials kept when budget.trials was lowered). They are
/// left WAITING, as `study enqueue` refuses such a trial, and said once (again only when their number changes):
/// before, they were run anyway and the study ended "13/12 done".
/// </summary>
internal sealed class WaitingBeyondBudget(ILogger log)
{
    private int _said;

    public void Explain(IReadOnlyList<TrialSnapshot> trials, Budget budget)
    {
        var beyond = budget.WaitingBeyond;
        if (beyond == _said) return;
        _said = beyond;
        if (beyond == 0) return;
        // The last in claim order are those left.
        var numbers = ClaimOrder.Of(trials).Select(t => t.Number).TakeLast(beyond).Order();
        log.Warning("{Count} enqueued trial(s) beyond the budget of {Total} are left WAITING (trial(s) {Numbers}); " +
            "to run them, raise budget.trials in its search.json and run `study start` with it",
            beyond, budget.Total, string.Join(", ", numbers));
    }
}
