using System.Diagnostics;
using Mnist.Search.Cluster;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cluster;

/// <summary><c>study submit --slurm</c> without a cluster: the script it writes and the submissions it refuses.</summary>
public sealed class SlurmSubmitCliTests
{
    [Fact]
    public async Task DryRunPrintsAJobArrayScriptOfStudyWorkersAndSubmitsNothing()
    {
        // Given a study in its SQLite file, and no sbatch anywhere on PATH
        using var dir = new TempDirectory("slurm-dry");
        await CreateStudyAsync(dir);

        // When a one-worker GPU submission is printed with --dry-run
        var result = await SearchCli.RunAsync(dir.Path, NoSlurm(dir), "study", "submit", "cli-study", "--slurm", "--dry-run",
            "--gpus-per-worker", "2", "--partition", "gpu", "--time", "1:00:00", "--requeue");

        // Then the script asks for an array of one task with GPUs through GRES, logs under the study folder,
        // and runs this program's `study worker` on the study's storage; no log folder was made
        Assert.True(result.ExitCode == 0, result.Stderr);
        var script = result.Stdout;
        Assert.StartsWith("#!/bin/bash\n", script);
        Assert.Contains("#SBATCH --array=0-0\n", script);
        Assert.Contains("#SBATCH --gres=gpu:2\n", script);
        Assert.Contains("#SBATCH --partition=gpu\n", script);
        Assert.Contains("#SBATCH --time=1:00:00\n", script);
        Assert.Contains("#SBATCH --requeue\n", script);
        Assert.Contains($"#SBATCH --output={dir["studies/cli-study/slurm"]}/%A_%a.out\n", script);
        Assert.Contains("#SBATCH --open-mode=append\n", script);
        Assert.Contains($"#SBATCH --chdir={dir.Path}\n", script);
        Assert.Matches("exec '[^']*dotnet' '[^']*Search.dll' 'study' 'worker' 'cli-study' '--storage' 'sqlite:[^']*study.db' '--studies-dir' '[^']*/studies' --devices \"\\$devices\"", script);
        Assert.False(Directory.Exists(dir["studies/cli-study/slurm"]));
    }

    [Fact]
    public async Task WithStudiesDirTheWorkersWriteTheirStudyFolderWhereTheLogsGo()
    {
        // Given a study in its SQLite file
        using var dir = new TempDirectory("slurm-studies-dir");
        await CreateStudyAsync(dir);

        // When its submission with --studies-dir elsewhere is printed
        var result = await SearchCli.RunAsync(dir.Path, NoSlurm(dir), "study", "submit", "cli-study", "--slurm", "--dry-run",
            "--storage", "sqlite:" + dir["studies/cli-study/study.db"], "--studies-dir", dir["sd"]);

        // Then the logs go to that folder's study folder, and the workers are told to write theirs (study.log, trials/)
        // there too (they wrote under the submit folder's studies/)
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"#SBATCH --output={dir["sd/cli-study/slurm"]}/%A_%a.out\n", result.Stdout);
        Assert.Contains($"'study' 'worker' 'cli-study' '--storage' 'sqlite:{dir["studies/cli-study/study.db"]}' '--studies-dir' '{dir["sd"]}' --devices", result.Stdout);
    }

    [Fact]
    public async Task ASubmissionToAStudyWhoseBudgetIsSpentIsRefusedAndNothingIsQueued()
    {
        // Given a study whose 2 trials have run, and an sbatch that would note being called
        using var dir = new TempDirectory("slurm-spent");
        await CreateStudyAsync(dir);
        var ran = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", "sqlite:" + dir["studies/cli-study/study.db"]);
        Assert.True(ran.ExitCode == 0, ran.Stderr);
        var bin = Directory.CreateDirectory(dir["fake-slurm"]).FullName;
        Support.Workers.Scripts.WriteExecutable(Path.Combine(bin, "sbatch"), $"touch '{dir["sbatch-called"]}'; cat > /dev/null; echo '4242;cluster'");

        // When it is submitted
        var result = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["PATH"] = bin }, "study", "submit", "cli-study", "--slurm");

        // Then it is refused in one line, exit 2 (an array whose tasks would each find nothing to do and exit 0 was
        // queued), sbatch was not called and no log folder was made
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("budget spent: 2/2 trials done; nothing to run", line);
        Assert.False(File.Exists(dir["sbatch-called"]));
        Assert.False(Directory.Exists(dir["studies/cli-study/slurm"]));
    }

    [Fact]
    public async Task TheScriptTurnsSlurmsCudaVisibleDevicesIntoTheWorkersDeviceList()
    {
        // Given the script of a GPU submission whose worker command only prints its arguments
        var script = SlurmScript.Render(new SlurmSubmission("s", "postgresql://u@h/db", 2, 2, null, null, null, false, "/tmp", "/tmp/logs", ["echo"]));

        // When bash runs it as a task that Slurm gave GPUs 2 and 3
        var output = await BashAsync(script, new() { ["CUDA_VISIBLE_DEVICES"] = "2,3", ["SLURM_ARRAY_TASK_ID"] = "1", ["SLURM_ARRAY_JOB_ID"] = "7" });

        // Then the worker is told to run on exactly those two GPUs
        Assert.EndsWith("study worker s --storage postgresql://u@h/db --devices cuda:2,cuda:3", output.Trim());
        Assert.Contains("task 1 of job 7", output);
    }

    [Fact]
    public void AStorageUrlWithAQuoteIsPassedToTheWorkerIntact()
    {
        // Given a password with a single quote in it
        var script = SlurmScript.Render(new SlurmSubmission("s", "postgresql://u:it's@h/db", 1, 0, 4, null, null, false, "/tmp", "/tmp/logs", ["/opt/search"]));

        // Then it is quoted for bash, and a CPU task asks for its CPUs and runs on them
        Assert.Contains("export PGPASSWORD='it'\\''s'\n", script);
        Assert.Contains("'--storage' 'postgresql://u@h/db'", script);
        Assert.Contains("#SBATCH --cpus-per-task=4\n", script);
        Assert.Contains("devices=cpu\n", script);
        Assert.DoesNotContain("--gres", script);
    }

    [Fact]
    public async Task ThePasswordReachesTheWorkerThroughItsEnvironmentNotItsCommandLine()
    {
        // Given the script of a submission whose storage URL holds a password (with a quote and an escaped '@'), and a
        // worker command that prints what it was given
        var script = SlurmScript.Render(new SlurmSubmission("s", "postgresql://u:it's%40pw@h:5433/db", 1, 0, null, null, null, false, "/tmp", "/tmp/logs",
            ["/bin/bash", "-c", "echo \"pw=$PGPASSWORD\"; echo \"args=$*\"", "worker"]));

        // When bash runs it as a task
        var output = await BashAsync(script, new() { ["SLURM_ARRAY_TASK_ID"] = "0", ["SLURM_ARRAY_JOB_ID"] = "7" });

        // Then the worker's command line, which every user of the node sees in ps, names the storage without it, and the
        // worker has it in PGPASSWORD (its environment, which only its owner can read), decoded
        Assert.Contains("args=study worker s --storage postgresql://u@h:5433/db --devices cpu\n", output);
        Assert.Contains("pw=it's@pw\n", output);
        Assert.DoesNotContain("it's@pw", output.Split("args=")[1]);
    }

    [Fact]
    public void APercentSignInTheLogFolderIsWrittenAsTheLiteralCharacterSbatchExpandsItFrom()
    {
        // Given a submission from a folder whose path holds '%' (%x would become the job name, %j the job id)
        var script = SlurmScript.Render(new SlurmSubmission("s", "sqlite:/w/x%j/s.db", 1, 0, null, null, null, false, "/w/x%j", "/w/x%j/studies/s/slurm", ["/opt/search"]));

        // Then the log paths escape it as %% and keep their own patterns; the working folder is no pattern and stays as it is
        Assert.Contains("#SBATCH --output=/w/x%%j/studies/s/slurm/%A_%a.out\n", script);
        Assert.Contains("#SBATCH --error=/w/x%%j/studies/s/slurm/%A_%a.err\n", script);
        Assert.Contains("#SBATCH --chdir=/w/x%j\n", script);
    }

    [Theory]
    [InlineData("sqlite", "--workers 2", "SQLite cannot be shared across machines")]
    [InlineData("sqlite", "--workers 0", "--workers: 0 is not at least 1")]
    [InlineData("sqlite", "", "sbatch not found on PATH")]
    [InlineData("sqlite", "--no-slurm", "--slurm: choose the cluster engine")]
    [InlineData("missing", "", "unknown study 'missing'")]
    public async Task ABadSubmissionIsOneLineAndExitCodeTwo(string study, string options, string expected)
    {
        // Given a study in its SQLite file, and no sbatch anywhere on PATH
        using var dir = new TempDirectory("slurm-refuse");
        await CreateStudyAsync(dir);
        var name = study == "sqlite" ? "cli-study" : study;
        string[] slurm = options == "--no-slurm" ? [] : ["--slurm"];
        var extra = options.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(o => o != "--no-slurm");
        if (study == "missing") extra = extra.Concat(["--storage", "sqlite:" + dir["studies/cli-study/study.db"]]);

        // When it is submitted
        var result = await SearchCli.RunAsync(dir.Path, NoSlurm(dir), ["study", "submit", name, .. slurm, .. extra]);

        // Then one line names the problem, the exit code is 2, and no log folder was made
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
        Assert.False(Directory.Exists(dir["studies/cli-study/slurm"]));
    }

    [Theory]
    [InlineData("echo 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)' >&2; exit 1",
        "error: sbatch could not reach the Slurm controller: Batch job submission failed: Unable to contact slurm controller (connect failure)")]
    [InlineData("cat > /dev/null; echo 'Submitted batch job'", "error: sbatch printed no job id: 'Submitted batch job'; check `squeue --me` before submitting again")]
    public async Task ASlurmThatCannotBeAskedIsOneLineAndExitCodeOne(string sbatch, string expected)
    {
        // Given a study, and an sbatch that fails at once without reading its script (a broken pipe for the writer),
        // or answers with no job id
        using var dir = new TempDirectory("slurm-down");
        await CreateStudyAsync(dir);
        var bin = Directory.CreateDirectory(dir["fake-slurm"]).FullName;
        Support.Workers.Scripts.WriteExecutable(Path.Combine(bin, "sbatch"), sbatch);

        // When the study is submitted
        var result = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["PATH"] = bin }, "study", "submit", "cli-study", "--slurm");

        // Then one line says why (it was a stack trace), the exit code is 1, and no log folder was left
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(expected, Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(Directory.Exists(dir["studies/cli-study/slurm"]));
    }

    [Theory]
    [InlineData("--partition", "test --time=0:01", "--partition: 'test --time=0:01' contains a space")]
    [InlineData("--time", "1:00#x", "--time: '1:00#x' contains '#'")]
    [InlineData("--partition", "a\"b", "--partition: 'a\"b' contains '\"'")]
    public async Task AValueAnSbatchLineWouldSplitIsRefused(string option, string value, string expected)
    {
        // Given a study
        using var dir = new TempDirectory("slurm-split");
        await CreateStudyAsync(dir);

        // When a value holds what sbatch reads as the end of the value, a comment or quoting (even in a dry run)
        var result = await SearchCli.RunAsync(dir.Path, NoSlurm(dir), "study", "submit", "cli-study", "--slurm", "--dry-run", option, value);

        // Then it is refused on one line, exit 2 (sbatch took the rest as more options: a one-minute time limit)
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stdout}{result.Stderr}");
        Assert.Contains(expected, Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("cat > /dev/null; echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2; exit 1")]
    [InlineData("echo 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)' >&2; exit 1")]
    public async Task ASubmitThatFailsFromAnotherFolderLeavesNoStudyFolderThere(string? sbatch)
    {
        // Given a study, and a shell in another folder without studies/ (as for a study in PostgreSQL)
        using var dir = new TempDirectory("slurm-elsewhere");
        await CreateStudyAsync(dir);
        var bin = Directory.CreateDirectory(dir["fake-slurm"]).FullName;
        if (sbatch is not null) Support.Workers.Scripts.WriteExecutable(Path.Combine(bin, "sbatch"), sbatch);
        Directory.CreateDirectory(dir["elsewhere"]);

        // When the submission is refused or fails (no sbatch, a partition sbatch refuses, no controller)
        var result = await SearchCli.RunAsync(dir["elsewhere"], new Dictionary<string, string> { ["PATH"] = bin },
            "study", "submit", "cli-study", "--slurm", "--storage", "sqlite:" + dir["studies/cli-study/study.db"]);

        // Then no studies/NAME/ is left there (only slurm/ was removed again)
        Assert.NotEqual(0, result.ExitCode);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(Directory.GetFileSystemEntries(dir["elsewhere"]));
    }

    [Theory]
    [InlineData("echo 'squeue: fatal: Could not establish a configuration source' >&2; exit 1", "squeue failed: squeue: fatal: Could not establish a configuration source")]
    [InlineData("echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1", "no longer known to Slurm (ended; no accounting kept)")]
    public async Task StatusSaysASlurmClientFailedRatherThanThatTheJobEnded(string squeue, string expected)
    {
        // Given a study submitted as job 4242, and a squeue that cannot reach Slurm (no SLURM_CONF in this shell, a
        // controller down), or that no longer holds the job; sacct, as on clusters without accounting, knows nothing
        using var dir = new TempDirectory("slurm-status-down");
        await CreateStudyAsync(dir);
        var bin = Directory.CreateDirectory(dir["fake-slurm"]).FullName;
        Support.Workers.Scripts.WriteExecutable(Path.Combine(bin, "sbatch"), "cat > /dev/null; echo '4242;cluster'");
        Support.Workers.Scripts.WriteExecutable(Path.Combine(bin, "squeue"), squeue);
        Support.Workers.Scripts.WriteExecutable(Path.Combine(bin, "sacct"), "exit 0");
        var path = new Dictionary<string, string> { ["PATH"] = bin };
        var submitted = await SearchCli.RunAsync(dir.Path, path, "study", "submit", "cli-study", "--slurm");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr);

        // When its status is asked for
        var status = await SearchCli.RunAsync(dir.Path, path, "study", "status", "cli-study", "--format", "json");

        // Then the job's row says what Slurm's client said (it said the job had ended, whatever the failure)
        Assert.True(status.ExitCode == 0, status.Stderr);
        var job = Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(status.Stdout)!["cluster_jobs"]!.AsArray())!;
        Assert.Equal("4242", (string)job["job"]!);
        Assert.Equal(expected, (string)job["node_or_reason"]!);
    }

    [Fact]
    public async Task DryRunWithJsonFormatPrintsTheScriptInAJsonObject()
    {
        using var dir = new TempDirectory("slurm-dry-json");
        await CreateStudyAsync(dir);

        var result = await SearchCli.RunAsync(dir.Path, NoSlurm(dir), "study", "submit", "cli-study", "--slurm", "--dry-run", "--format", "json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = System.Text.Json.Nodes.JsonNode.Parse(result.Stdout)!;
        Assert.True((bool)json["dry_run"]!);
        Assert.Equal("slurm", (string)json["engine"]!);
        Assert.StartsWith("#!/bin/bash\n", (string)json["script"]!);
    }

    /// <summary>Creates the study `cli-study` of 2 trials of a fake worker, in its SQLite file under <paramref name="dir"/>.</summary>
    private static async Task CreateStudyAsync(TempDirectory dir)
    {
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
    }

    /// <summary>A PATH with no Slurm client on it (the child's dotnet is started by full path).</summary>
    private static Dictionary<string, string> NoSlurm(TempDirectory dir) => new() { ["PATH"] = Directory.CreateDirectory(dir["empty-path"]).FullName };

    private static async Task<string> BashAsync(string script, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(script);
        p.StandardInput.Close();
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, stderr);
        return stdout;
    }
}
