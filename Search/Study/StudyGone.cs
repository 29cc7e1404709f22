using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>Whether a study this process works on was deleted by another client.</summary>
internal static class StudyGone
{
    /// <summary>
    /// True only when certainly gone: no study of its name, or one of its name with another id (made again since). A
    /// database that does not answer now says nothing (false): a finished model is not thrown away for it.
    /// </summary>
    public static async Task<bool> IsCertainAsync(IStudyStorage storage, StudyInfo study, CancellationToken ct = default)
    {
        try { return await storage.GetStudyAsync(study.Name, ct) is not { } now || now.Id != study.Id; }
        catch (Exception e) when (StorageOutage.Is(e)) { return false; }
    }
}
