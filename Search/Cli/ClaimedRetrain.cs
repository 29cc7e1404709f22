using Mnist.Search.Retraining;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>
/// A retrain run under its <see cref="RetrainClaim"/>, for <c>study start</c> and <c>study retrain</c> alike: the claim is
/// ended done when the retrain returns; when it throws, the claim's disposal (by its holder) puts it back as it was taken
/// if that was "done" and best/ was not replaced, else marks it failed (anyone may take it over). A delete of the study,
/// seen at one of the claim's renewals, stops the retrain and ends the command in one line. The retrain is given the
/// claim (<paramref name="retrain"/>): it calls MarkPromoted once best/ is new, and stops with
/// <see cref="RetrainTakenOverException"/> when another process takes the claim over.
/// </summary>
internal static class ClaimedRetrain
{
    public static async Task<RetrainResult> RunAsync(RetrainClaim claim, StudyInfo study, string storageDisplay, CancellationToken ct,
        Func<RetrainClaim, Task<RetrainResult>> retrain)
    {
        RetrainResult result;
        // Without the delete's token the retrain would run on for hours only to fail at its first write (and on SQLite,
        // which reuses ids, write into a new study's rows). Whatever is thrown, the claim's disposal ends it as failed.
        try { result = await retrain(claim); }
        catch (OperationCanceledException e) when (claim.StudyDeleted.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw DeletedStudy.Error(study, storageDisplay, e);
        }
        await claim.EndAsync(done: true);
        return result;
    }
}
