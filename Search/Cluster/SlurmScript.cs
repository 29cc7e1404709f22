using System.Globalization;
using System.Text;
using Mnist.Search.Storage;

namespace Mnist.Search.Cluster;

/// <summary>
/// Writes the <c>sbatch</c> script of a submission: a job array with one <c>study worker</c> per task.
/// Every choice is an <c>#SBATCH</c> line, so the script alone says what was asked of the cluster.
/// </summary>
internal static class SlurmScript
{
    public static string Render(SlurmSubmission s)
    {
        var b = new StringBuilder();
        b.Append("#!/bin/bash\n");
        b.Append(CultureInfo.InvariantCulture, $"# Written by `study submit {s.StudyName} --slurm` (Mnist.Search): one `study worker` per array task.\n");
        Directive(b, "job-name", s.JobName);
        Directive(b, "array", $"0-{s.Workers - 1}");
        Directive(b, "ntasks", "1");
        Directive(b, "chdir", s.WorkingDirectory, "the working folder");
        // %A is the array's job id, %a the task index: one pair of logs per task. These two are patterns, so a '%' of the
        // folder's own is written %%: unescaped, a folder holding %x sent the logs to one named after the job, which does
        // not exist, and every task failed at launch while submit said it was submitted (--chdir is no pattern).
        var logs = s.LogDirectory.Replace("%", "%%", StringComparison.Ordinal);
        Directive(b, "output", Path.Combine(logs, "%A_%a.out"), "the log folder");
        Directive(b, "error", Path.Combine(logs, "%A_%a.err"), "the log folder");
        // Appended to, not truncated: a task Slurm requeues (--requeue, preemption) opens the same two files again, and its
        // second run replaced its first's lines (its stop, a crash's output), which only study.log still had.
        Directive(b, "open-mode", "append");
        if (s.Partition is not null) Directive(b, "partition", s.Partition);
        if (s.Time is not null) Directive(b, "time", s.Time);
        if (s.CpusPerWorker is { } cpus) Directive(b, "cpus-per-task", cpus.ToString(CultureInfo.InvariantCulture));
        if (s.GpusPerWorker > 0) Directive(b, "gres", $"gpu:{s.GpusPerWorker}");
        // A requeued task starts a fresh worker; the trial it was running is failed and queued again by the
        // workers (orphan check on the same host, heartbeat sweep elsewhere), so requeue never loses a trial.
        b.Append(s.Requeue ? "#SBATCH --requeue\n" : "#SBATCH --no-requeue\n");
        b.Append("set -euo pipefail\n");
        if (s.GpusPerWorker > 0)
        {
            // Slurm's GRES sets CUDA_VISIBLE_DEVICES to this task's GPUs; one trial runs on each of them.
            b.Append("devices=$(printf '%s' \"${CUDA_VISIBLE_DEVICES:?Slurm gave this task no GPU}\" | sed -E 's/([^,]+)/cuda:\\1/g')\n");
        }
        else
        {
            b.Append("devices=cpu\n");
        }
        b.Append("echo \"$(date -u +%FT%TZ) task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID} on $(hostname): devices $devices\"\n");
        // A password reaches the worker in its environment (PGPASSWORD, which Npgsql reads), not its command line, which
        // every user of the node can read with ps (an environment only its owner can). The script itself is kept where only
        // its owner can read it, and the worker starts its trials without PGPASSWORD (ProcessWorkerLauncher).
        var (storage, password) = StorageUrl.SplitPassword(s.StorageUrl);
        if (password is not null) b.Append("export PGPASSWORD=").Append(Quote(password)).Append('\n');
        // exec: the worker is the task's main process, so Slurm's SIGTERM (cancel, preemption, time limit)
        // reaches it directly and it stops its trials cleanly within KillWait.
        b.Append("exec");
        // --studies-dir: the worker writes study.log and trials/ beside the logs, in the folder submit was given.
        string[] studies = s.StudiesDirectory is null ? [] : ["--studies-dir", s.StudiesDirectory];
        foreach (var arg in s.WorkerCommand.Concat(["study", "worker", s.StudyName, "--storage", storage, .. studies]))
            b.Append(' ').Append(Quote(arg));
        b.Append(" --devices \"$devices\"\n");
        return b.ToString();
    }

    /// <summary>Quotes one word for bash: single quotes, an embedded quote closed, escaped and reopened.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void Directive(StringBuilder b, string name, string value, string? what = null)
    {
        // sbatch reads a #SBATCH line word by word: a space or tab ends the value and the rest is read as further
        // options (--partition "test --time=0:01" set a one-minute limit, silently), '#' starts a comment, and '"'
        // and '\' are its quoting. A line break would end the directive early.
        var refused = value.IndexOfAny(['\n', '\r']) >= 0 ? "a line break"
            : value.FirstOrDefault(c => char.IsWhiteSpace(c) || c is '#' or '"' or '\\') is var c and not '\0'
                ? (char.IsWhiteSpace(c) ? "a space" : $"'{c}'")
                : null;
        if (refused is not null)
            throw new SubmitRefusedException($"{what ?? "--" + name}: '{value.ReplaceLineEndings(" ")}' contains {refused}, which an #SBATCH line cannot hold" +
                (what is null ? "" : "; submit from a folder whose path has none"));
        b.Append("#SBATCH --").Append(name).Append('=').Append(value).Append('\n');
    }
}
