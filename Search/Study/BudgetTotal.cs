using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// The study's budget of trials as stored with it, so a change applied by one process (`study start` with a larger or
/// smaller budget.trials) reaches the processes already running: each read its configuration once at start, so a
/// lowered budget was overshot by workers still counting to the old one, and a raised one ended them early.
/// </summary>
public static class BudgetTotal
{
    /// <summary>The stored total, or <paramref name="fallback"/> (the process's own configuration) for a study that has none.</summary>
    public static async Task<int> ReadAsync(IStudyStorage storage, int studyId, int fallback, CancellationToken ct = default) =>
        (await storage.GetStudySystemAttributesAsync(studyId, ct)).TryGetValue(StudyAttributes.BudgetTrials, out var json)
        && int.TryParse(json, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var total) && total > 0
            ? total
            : fallback;
}
