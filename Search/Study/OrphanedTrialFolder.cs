using System.Globalization;
using System.Text.Json;
using Mnist.Protocol.Files;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// The folder of a trial whose coordinator has certainly ended on this host: what its processes left half-written there
/// is removed when the trial is failed as orphaned. A coordinator killed between writing the trial's spec and renaming it
/// into place left <c>.spec.json.tmp-PID-….json</c> for ever, in a folder without a spec.json (audit-chaos 3).
/// </summary>
internal static class OrphanedTrialFolder
{
    /// <summary>Removes the files of <see cref="Durable.Write"/> that gone processes left in <paramref name="trial"/>'s folder.</summary>
    public static void RemoveLeftovers(TrialSnapshot trial, string studyDirectory)
    {
        // The folder is recorded after the spec is written: a trial killed there has none, and is in this study's folder.
        var recorded = trial.SystemAttrs.TryGetValue(StudyAttributes.TrialDirectory, out var json) ? Folder(json) : null;
        TempLeftovers.SweepWrites(recorded ?? Path.Combine(studyDirectory, StudyFolder.TrialsFolder, trial.Number.ToString(CultureInfo.InvariantCulture)));
    }

    private static string? Folder(string json)
    {
        try { return JsonSerializer.Deserialize<string>(json); }
        catch (JsonException) { return null; }
    }
}
