using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Cluster;
using Mnist.Search.Storage;
using Mnist.Search.Study;

namespace Mnist.Search.Cli.Commands;

/// <summary>
/// <c>study submit NAME --slurm</c>: runs an existing study's workers as a Slurm job array (one
/// <c>study worker</c> per task) and records the job in the study, for <c>study status</c>.
/// </summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var name = CommonOptions.StudyName();
        var slurm = new Option<bool>("--slurm") { Description = "Submit to Slurm with sbatch (the cluster engine supported)" };
        var workers = new Option<int>("--workers") { Description = "Array tasks, one `study worker` each", DefaultValueFactory = _ => 1 };
        var gpus = new Option<int>("--gpus-per-worker") { Description = "GPUs per task (Slurm GRES gpu:G); 0 runs on CPUs", DefaultValueFactory = _ => 0 };
        var cpus = new Option<int?>("--cpus-per-worker") { Description = "CPUs per task (sbatch --cpus-per-task)" };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition [default: the cluster's]" };
        var time = new Option<string?>("--time") { Description = "Time limit per task, in sbatch's format (e.g. 2:00:00)" };
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the sbatch script; submit nothing" };
        var requeue = new Option<bool>("--requeue") { Description = "Let Slurm requeue a preempted or failed task (sbatch --requeue)" };
        var format = CommonOptions.Format("table", "json");
        var command = new Command("submit", "Run a study's workers on a cluster: a Slurm job array of `study worker` tasks")
        {
            name, slurm, workers, gpus, cpus, partition, time, storage, studiesDir, dryRun, requeue, format,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!parse.GetValue(slurm)) throw new UserInputException("--slurm: choose the cluster engine (Slurm is the one supported; see deploy/k8s for Kubernetes)");
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            // The workers write study.log and trials/ in the folder of study folders the logs go to (they wrote to the
            // submit folder's studies/ whatever --studies-dir said).
            var submission = new SlurmSubmission(location.Name, location.StorageUrl, parse.GetValue(workers), parse.GetValue(gpus),
                parse.GetValue(cpus), parse.GetValue(partition), parse.GetValue(time), parse.GetValue(requeue),
                Directory.GetCurrentDirectory(), Path.Combine(location.StudyDirectory, "slurm"), SelfCommand.Current(),
                Path.GetDirectoryName(location.StudyDirectory));
            try
            {
                SlurmSubmitter.Check(submission, Directory.GetCurrentDirectory());
                var script = SlurmScript.Render(submission);
                var (store, study) = await location.OpenExistingAsync(ct, " (create it first: `study create search.json --storage URL`)");
                await using var owned = store;
                if (await StoredConfig.ReadAsync(store, study, location.StorageDisplay, sourceOnThisMachine: true, ct) is not { } stored)
                    throw StoredConfig.Missing(location.Name, location.StorageDisplay);
                // Refused, not warned: every task of such an array would start, find nothing to do and exit 0, an
                // allocation spent for nothing that `study status` then shows as COMPLETED. Raising budget.trials (the
                // configuration's, through `study create`) is the way to run more, and then the submission is accepted.
                if (await StudyRun.NothingToRunAsync(store, study.Id, await store.GetAllTrialsAsync(study.Id, ct: ct), stored.Config.Budget.Trials, ct) is { } spent)
                    throw new UserInputException($"study '{location.Name}' in {location.StorageDisplay}: {spent} (raise budget.trials with `study create FILE --storage URL` to run more)");
                if (parse.GetValue(dryRun))
                {
                    // The printed script showed the PostgreSQL password in its exec line, where every other console
                    // output masks it (README, Secrets). Only the submitted script, which the workers run, holds it.
                    var shown = SlurmScript.Render(submission with { StorageUrl = StorageUrl.Redact(submission.StorageUrl) });
                    if (parse.GetValue(format) == "json")
                        OutputFormat.WriteObject("json", new JsonObject { ["dry_run"] = true, ["engine"] = ClusterJob.Slurm, ["script"] = shown });
                    else
                        Console.Out.Write(shown);
                    if (shown != script)
                        await Console.Error.WriteLineAsync($"note: the password is shown as {StorageUrl.Masked}; the script submitted holds it");
                    return ExitCodes.Ok;
                }
                var jobId = await SubmitAsync(submission, script, ct);
                var job = new ClusterJob(ClusterJob.Slurm, jobId, submission.Workers, submission.GpusPerWorker, submission.Partition,
                    submission.LogDirectory, DateTime.UtcNow);
                await RecordAsync(store, study.Id, job, ct);
                Print(parse.GetValue(format)!, job);
                return ExitCodes.Ok;
            }
            catch (SubmitRefusedException e)
            {
                throw new UserInputException(e.Message);
            }
        });
        return command;
    }

    /// <summary>Submits, keeping a copy of the script beside the logs; a refused job leaves no folder behind.</summary>
    private static async Task<long> SubmitAsync(SlurmSubmission submission, string script, CancellationToken ct)
    {
        // Slurm opens the log files itself and does not create their folder. Every folder made here is removed again
        // when the job is refused: removing only slurm/ left an empty studies/NAME/ (a study in PostgreSQL, or
        // submitted from another folder, has none until then).
        var made = new List<string>();
        for (var dir = submission.LogDirectory; dir is not null && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)) made.Add(dir);
        Directory.CreateDirectory(submission.LogDirectory);
        long jobId;
        try
        {
            jobId = await SlurmSubmitter.SubmitAsync(submission, script, ct);
        }
        catch
        {
            foreach (var dir in made.TakeWhile(d => !Directory.EnumerateFileSystemEntries(d).Any())) Directory.Delete(dir);
            throw;
        }
        var copy = Path.Combine(submission.LogDirectory, jobId.ToString(CultureInfo.InvariantCulture) + ".sbatch");
        Mnist.Protocol.Files.Durable.Write(copy, temporary => WriteOwnerOnly(temporary, script));
        return jobId;
    }

    /// <summary>
    /// Writes a new file only its owner may read or write (0600, whatever the umask): the script holds the PostgreSQL
    /// password of a URL that has one, and the study folder is on the filesystem the whole cluster shares (the copy was
    /// 0644). sbatch keeps its own copy so too. Renamed into place, the file keeps its mode.
    /// </summary>
    private static void WriteOwnerOnly(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(path, options);
        writer.Write(text);
    }

    /// <summary>Appends the job to the study's list; compare-and-set, so two submissions at once both stay recorded.</summary>
    private static async Task RecordAsync(IStudyStorage store, int studyId, ClusterJob job, CancellationToken ct)
    {
        while (true)
        {
            var attrs = await store.GetStudySystemAttributesAsync(studyId, ct);
            var current = attrs.GetValueOrDefault(ClusterJob.AttributeKey);
            if (await store.CompareAndSetStudySystemAttrAsync(studyId, ClusterJob.AttributeKey, current, ClusterJob.Append(ClusterJob.From(attrs), job), ct))
                return;
        }
    }

    private static void Print(string format, ClusterJob job)
    {
        if (format == "json")
        {
            OutputFormat.WriteObject("json", new JsonObject
            {
                ["job_id"] = job.JobId,
                ["workers"] = job.Workers,
                ["gpus_per_worker"] = job.GpusPerWorker,
                ["log_dir"] = job.LogDirectory,
            });
            return;
        }
        Console.Out.WriteLine($"Submitted job array {job.JobId}: {job.Workers} worker(s), logs in {job.LogDirectory}");
    }
}
