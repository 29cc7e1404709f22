using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>
/// Everything a study report shows, read from storage once so every figure sees the same trials. <see cref="Metric"/>:
/// the objective's metric (<c>val_accuracy</c>, <c>val_loss</c>) from the configuration stored with the study, which the
/// caller reads (the report command: the stored configuration is read by the command line's code); null for a study
/// without one (another Optuna client made it) or whose stored configuration no longer reads. <see cref="SpaceNames"/>:
/// the stored search space's parameter names in order, which orders the report's parameters (null: the trials' order).
/// </summary>
public sealed record StudyReportData(
    StudyInfo Study,
    IReadOnlyList<TrialSnapshot> Trials,
    IReadOnlyDictionary<string, string> UserAttrs,
    DateTime GeneratedAtUtc,
    string? Metric = null,
    IReadOnlyList<string>? SpaceNames = null)
{
    /// <summary>What the report calls a trial's value: its metric's name, else (the study does not say) "objective value".</summary>
    public string ObjectiveName => Metric ?? "objective value";

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
