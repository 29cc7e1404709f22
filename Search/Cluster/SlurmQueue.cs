using System.Globalization;

namespace Mnist.Search.Cluster;

/// <summary>
/// The tasks of a study's job arrays as Slurm reports them: <c>squeue</c> for jobs the controller still
/// holds (pending, running and recently ended ones), <c>sacct</c> for older ones when the cluster keeps
/// accounting. A job neither knows is reported as such, never guessed.
/// </summary>
internal static class SlurmQueue
{
    /// <summary>One array task: <c>12_0</c>, its state, elapsed time, node (or why it waits).</summary>
    public sealed record TaskRow(string Job, string State, string Elapsed, string Where);

    public static async Task<IReadOnlyList<TaskRow>> TasksAsync(IReadOnlyList<ClusterJob> jobs, CancellationToken ct)
    {
        var rows = new List<TaskRow>();
        if (jobs.Count == 0) return rows;
        var squeue = SlurmTool.Find("squeue");
        var sacct = SlurmTool.Find("sacct");
        foreach (var job in jobs)
        {
            var id = job.JobId.ToString(CultureInfo.InvariantCulture);
            if (squeue is null && sacct is null)
            {
                rows.Add(Unknown(id, "squeue and sacct not found on PATH"));
                continue;
            }
            try
            {
                rows.AddRange(await TasksOfAsync(id, squeue, sacct, ct));
            }
            catch (SlurmUnavailableException e)
            {
                // The study's own status still matters when the controller does not answer.
                rows.Add(Unknown(id, e.Message));
            }
        }
        return rows;
    }

    private static async Task<IReadOnlyList<TaskRow>> TasksOfAsync(string id, SlurmTool? squeue, SlurmTool? sacct, CancellationToken ct)
    {
        if (squeue is not null)
        {
            var queued = await squeue.RunAsync(["-h", "-r", "-t", "all", "-j", id, "-o", "%i|%T|%M|%R"], ct: ct);
            // squeue answers "Invalid job id specified" for a job the controller no longer holds. Any other failure
            // (no configuration, a controller that refuses) says nothing about the job: it was reported as ended,
            // and a user told their workers had ended could submit a second array.
            if (queued.ExitCode != 0 && !queued.Stderr.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
                return [Unknown(id, $"squeue failed: {LastLine(queued)}")];
            if (Parse(queued) is { Count: > 0 } inQueue) return inQueue;
        }
        if (sacct is not null)
        {
            var accounted = await sacct.RunAsync(["-n", "-P", "-X", "-j", id, "-o", "JobID,State,Elapsed,NodeList"], ct: ct);
            if (Parse(accounted) is { Count: > 0 } ended) return ended;
            if (squeue is null && accounted.ExitCode != 0) return [Unknown(id, $"sacct failed: {LastLine(accounted)}")];
        }
        return [Unknown(id, "no longer known to Slurm (ended; no accounting kept)")];
    }

    private static TaskRow Unknown(string id, string why) => new(id, "unknown", "", why);

    private static string LastLine(SlurmTool.Result result) =>
        (result.Stderr + "\n" + result.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
        ?? $"exit code {result.ExitCode}";

    private static List<TaskRow> Parse(SlurmTool.Result result)
    {
        if (result.ExitCode != 0) return [];
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('|'))
            .Where(f => f.Length >= 4)
            .Select(f => new TaskRow(f[0], f[1], f[2], f[3]))
            .ToList();
    }
}
