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
                rows.Add(new TaskRow(id, "unknown", "", "squeue and sacct not found on PATH"));
                continue;
            }
            try
            {
                var found = squeue is null ? [] : Parse(await squeue.RunAsync(["-h", "-r", "-t", "all", "-j", id, "-o", "%i|%T|%M|%R"], ct: ct));
                if (found.Count == 0 && sacct is not null)
                    found = Parse(await sacct.RunAsync(["-n", "-P", "-X", "-j", id, "-o", "JobID,State,Elapsed,NodeList"], ct: ct));
                rows.AddRange(found.Count > 0 ? found : [new TaskRow(id, "unknown", "", "no longer known to Slurm (ended; no accounting kept)")]);
            }
            catch (SlurmUnavailableException e)
            {
                // The study's own status still matters when the controller does not answer.
                rows.Add(new TaskRow(id, "unknown", "", e.Message));
            }
        }
        return rows;
    }

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
