using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Scheduling;
using Mnist.Search.Storage;
using Mnist.Search.Workers;

namespace Mnist.Search.Study;

/// <summary>
/// What supervising one trial has seen, kept in memory as well as in storage: when another process fails
/// the trial meanwhile (a heartbeat sweep while this coordinator was stopped), storage refuses further
/// writes, and this is what lets the finished result still be recorded on the trial's retry.
/// </summary>
internal sealed class TrialProgress(TrialSnapshot trial, DeviceSlot device, string directory, WorkerStartInfo start)
{
    public TrialSnapshot Trial { get; } = trial;

    /// <summary>The epoch events as stored (checked and trimmed), in order.</summary>
    public JsonArray Epochs { get; } = new();

    /// <summary>The objective value per epoch.</summary>
    public SortedDictionary<int, double> Values { get; } = new();

    public WorkerEvent.Result? Result { get; set; }

    public TimeSpan Elapsed { get; set; }

    /// <summary>Storage says another process finished the trial: nothing more is written to it.</summary>
    public bool Lost { get; set; }

    /// <summary>Records where the trial runs and where its logs go, on <paramref name="trialId"/>.</summary>
    public async Task SetSystemAttributesAsync(IStudyStorage storage, long trialId)
    {
        await storage.SetTrialSystemAttributeAsync(trialId, StudyAttributes.Device, Json(device.Id));
        await storage.SetTrialSystemAttributeAsync(trialId, StudyAttributes.TrialDirectory, Json(directory));
        await storage.SetTrialSystemAttributeAsync(trialId, StudyAttributes.StdoutLog, Json(start.StdoutLogPath));
        await storage.SetTrialSystemAttributeAsync(trialId, StudyAttributes.StderrLog, Json(start.StderrLogPath));
    }

    private static string Json(string s) => JsonSerializer.Serialize(s);
}
