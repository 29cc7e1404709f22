using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>
/// A study another client deletes (<c>study delete --force</c>, Optuna's <c>delete_study</c>) while this process runs or
/// retrains it: the storage's "no study with id N" becomes one line naming the study and its storage. It was that bare
/// message and a stack trace, from the search and from the retrain alike.
/// </summary>
internal static class DeletedStudy
{
    public static async Task<T> SaidInOneLineAsync<T>(IStudyStorage storage, StudyInfo study, string storageDisplay, Func<Task<T>> work)
    {
        try { return await work(); }
        catch (RowNotFoundException e)
        {
            if (await StudyGone.IsCertainAsync(storage, study)) throw Error(study, storageDisplay, e);
            throw;
        }
    }

    /// <summary>The one line, for a process that learnt of the delete otherwise (its retrain claim found the study gone).</summary>
    public static StudyDeletedException Error(StudyInfo study, string storageDisplay, Exception inner) =>
        new($"study '{study.Name}' was deleted from {storageDisplay} while this process ran it (by another client)", inner);
}
