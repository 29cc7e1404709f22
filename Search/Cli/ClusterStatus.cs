using System.Text.Json.Nodes;
using Mnist.Search.Cluster;
using Mnist.Search.Storage;

namespace Mnist.Search.Cli;

/// <summary>
/// The cluster part of <c>study status</c>: the tasks of the job arrays <c>study submit</c> recorded in
/// the study, as Slurm reports them now; nothing when the study was never submitted.
/// </summary>
internal static class ClusterStatus
{
    private static readonly string[] Columns = ["job", "state", "elapsed", "node_or_reason"];

    /// <summary>One JSON object per task; an empty array when no job was submitted for the study.</summary>
    public static async Task<JsonArray> ReadAsync(StudyLocation location, int studyId, CancellationToken ct)
    {
        // Read-only, as every part of `study status`: it created the disk reserve and switched a SQLite file to WAL.
        await using var storage = await StorageFactory.OpenReadOnlyAsync(location.StorageUrl, Directory.GetCurrentDirectory(), ct);
        var jobs = ClusterJob.From(await storage.GetStudySystemAttributesAsync(studyId, ct));
        var tasks = await SlurmQueue.TasksAsync(jobs, ct);
        return new JsonArray(tasks.Select(t => (JsonNode)new JsonObject
        {
            ["job"] = t.Job,
            ["state"] = t.State,
            ["elapsed"] = t.Elapsed,
            ["node_or_reason"] = t.Where,
        }).ToArray());
    }

    public static void WriteTable(JsonArray tasks)
    {
        if (tasks.Count == 0) return;
        OutputFormat.Write("table", Columns,
            tasks.Select(t => (IReadOnlyDictionary<string, object?>)t!.AsObject().ToDictionary(kv => kv.Key, kv => (object?)kv.Value)), "Slurm jobs");
    }
}
