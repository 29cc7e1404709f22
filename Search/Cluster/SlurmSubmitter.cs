using System.Globalization;
using Mnist.Search.Storage;

namespace Mnist.Search.Cluster;

/// <summary>
/// Checks a submission and hands its script to <c>sbatch</c> (on stdin: no script file is left behind
/// when Slurm refuses it). Refusals — no <c>sbatch</c>, SQLite shared by several array tasks, and
/// whatever <c>sbatch</c> itself rejects (unknown partition, bad time limit, GRES the cluster lacks) —
/// throw <see cref="SubmitRefusedException"/> before anything is queued.
/// </summary>
internal static class SlurmSubmitter
{
    // sbatch's messages for a cluster that could not be asked, as opposed to a request it refused.
    private static readonly string[] Unreachable = ["Unable to contact slurm controller", "Socket timed out", "Connection refused", "Could not establish a configuration source"];

    /// <summary>The refusals that need no cluster: called before <c>--dry-run</c> prints the script, too.</summary>
    public static void Check(SlurmSubmission s, string baseDirectory)
    {
        if (s.Workers < 1) throw new SubmitRefusedException($"--workers: {s.Workers} is not at least 1");
        if (s.GpusPerWorker < 0) throw new SubmitRefusedException($"--gpus-per-worker: {s.GpusPerWorker} is negative");
        if (s.CpusPerWorker is < 1) throw new SubmitRefusedException($"--cpus-per-worker: {s.CpusPerWorker} is not at least 1");
        var url = StorageUrl.Parse(s.StorageUrl, baseDirectory);
        // Array tasks are separate jobs that Slurm places on any node of the partition; SQLite's file locks
        // do not hold across machines (network filesystems), so several tasks need a database server.
        if (url.Kind == StorageKind.Sqlite && s.Workers > 1)
            throw new SubmitRefusedException(
                $"--workers {s.Workers} with SQLite storage ({url.Display}): array tasks may run on different nodes and SQLite cannot be shared across machines; use --storage postgresql://... or --workers 1");
    }

    /// <summary>Submits the array; returns its job id.</summary>
    public static async Task<long> SubmitAsync(SlurmSubmission s, string script, CancellationToken ct)
    {
        var sbatch = SlurmTool.Find("sbatch")
            ?? throw new SubmitRefusedException("sbatch not found on PATH: run `study submit --slurm` on a Slurm login node (or install the Slurm client)");
        var result = await sbatch.RunAsync(["--parsable"], script, ct);
        if (result.ExitCode != 0)
        {
            var message = OneLine(result.Stderr.Length > 0 ? result.Stderr : result.Stdout);
            if (Unreachable.Any(m => message.Contains(m, StringComparison.OrdinalIgnoreCase)))
                throw new SlurmUnavailableException($"sbatch could not reach the Slurm controller: {message}");
            throw new SubmitRefusedException($"sbatch refused the job array: {message}");
        }
        // --parsable prints "jobid" or "jobid;cluster".
        var first = result.Stdout.Trim().Split('\n')[^1].Split(';')[0].Trim();
        return long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new SlurmUnavailableException($"sbatch printed no job id: '{result.Stdout.Trim()}'; check `squeue --me` before submitting again");
    }

    // sbatch repeats itself over several "sbatch: error:" lines; the last says most.
    private static string OneLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("sbatch: error: ", StringComparison.Ordinal) ? l["sbatch: error: ".Length..] : l)
            .Distinct().ToList();
        return lines.Count == 0 ? "no message" : string.Join("; ", lines);
    }
}
