using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// The trials a new trial's proposal is made from: those numbered before it. A trial created by another process
/// just before this one may still be without parameters, its own proposal under way; a model-based sampler given
/// the history without it proposes what that process is proposing, from the same data (two workers of one study
/// starting a trial at the same moment trained the same configuration). So the history is read again until every
/// earlier trial has its parameters (and becomes a pending point), for at most <c>patience</c>: a process that died
/// after creating its trial leaves it without parameters until a sweep fails it. The wait lasts as long as the other
/// process's proposal (milliseconds to a few seconds); proposals of one process are made one after another anyway.
/// </summary>
internal static class ProposalHistory
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    public static async Task<List<TrialSnapshot>> BeforeAsync(IStudyStorage storage, int studyId, int number, TimeSpan patience, CancellationToken ct)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var before = (await storage.GetAllTrialsAsync(studyId, ct: CancellationToken.None)).Where(t => t.Number < number).ToList();
            if (!before.Any(BeingProposed) || waited.Elapsed >= patience || ct.IsCancellationRequested) return before;
            try { await Task.Delay(Poll, ct); }
            catch (OperationCanceledException) { }
        }
    }

    // RUNNING without parameters, created by a coordinator of this tool (it names its host in the creating transaction):
    // not yet sampled, or an enqueued trial not yet completed. A trial an Optuna client asked for and never gave
    // parameters is not waited for: nothing says it ever will have them.
    private static bool BeingProposed(TrialSnapshot t) =>
        t.State == TrialState.RUNNING && t.Params.Count == 0 && t.SystemAttrs.ContainsKey(StudyAttributes.Host);
}
