using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>Everything a study report shows, read from storage once so every figure sees the same trials.</summary>
public sealed record StudyReportData(
    StudyInfo Study,
    IReadOnlyList<TrialSnapshot> Trials,
    IReadOnlyDictionary<string, string> UserAttrs,
    DateTime GeneratedAtUtc)
{
    /// <summary>
    /// Reads the study called <paramref name="name"/>; null when the storage has no such study
    /// (the caller words the error, since it knows where it looked).
    /// </summary>
    public static async Task<StudyReportData?> LoadAsync(IStudyStorage storage, string name, CancellationToken ct = default)
    {
        var study = await storage.GetStudyAsync(name, ct);
        if (study is null) return null;
        var trials = await storage.GetAllTrialsAsync(study.Id, ct: ct);
        var attrs = await storage.GetStudyUserAttributesAsync(study.Id, ct);
        return new StudyReportData(study, trials, attrs, DateTime.UtcNow);
    }
}
