using System.Diagnostics;
using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Cluster;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cluster;

/// <summary>What a submission leaves on the shared filesystem and on the nodes: its script's copy, its logs, its command lines.</summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Trait(Needs.Name, Needs.Slurm)]
[Collection(SlurmCollection.Name)]
public sealed class SlurmJobFilesTests(SlurmClusterFixture slurm, PrivatePostgresServerFixture postgres)
{
    [Fact]
    public async Task ThePasswordIsInNoCommandLineOfTheNodeAndTheScriptsCopyIsTheOwnersAlone()
    {
        // Given a PostgreSQL study reached through a URL with a password, of a role that must give it (the tasks connected
        // through trust auth, which ignores a password, so nothing showed the node used it)
        var (url, secret) = await postgres.CreatePasswordDatabaseAsync();
        using var dir = new TempDirectory("slurm-secret");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 1.0 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config, "--storage", url)).ExitCode);

        // When it is submitted as one worker, and its trial runs
        var submit = await SearchCli.RunAsync(dir.Path, slurm.Environment, "study", "submit", "cli-study", "--slurm", "--storage", url, "--format", "json");
        Assert.True(submit.ExitCode == 0, submit.Stderr + submit.Stdout);
        var jobId = (long)JsonNode.Parse(submit.Stdout)!["job_id"]!;
        var clock = Stopwatch.StartNew();
        while (Signals.Find("study worker cli-study").Count == 0 || !File.Exists(worker.LogPath))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the task's worker never ran a trial: " + TaskErrors(dir));
            await Task.Delay(100);
        }

        // Then no process on the node shows the password in its command line, which every user of the node can read
        // with ps (the worker's held it in its --storage)
        Assert.Empty(Signals.Find(secret));
        await slurm.WaitForEndAsync(jobId, TimeSpan.FromMinutes(3));
        await using (var storage = await StorageFactory.OpenAsync(url, dir.Path))
        {
            var trials = await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id);
            Assert.Equal(2, trials.Count(t => t.State == TrialState.COMPLETE));
        }
        // ...and the copy of the script kept beside the logs, which holds it, may be read by its owner only (it was
        // world-readable, on the filesystem the whole cluster shares)
        var copy = dir[$"studies/cli-study/slurm/{jobId}.sbatch"];
        Assert.Contains(secret, File.ReadAllText(copy));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(copy));
    }

    [Fact]
    public async Task AWorkingFolderWithAPercentSignKeepsItsLogsWhereTheyAreSaidToBe()
    {
        // Given a study in a folder whose path holds '%' (which sbatch expands in --output and --error: %x is the job name)
        using var root = new TempDirectory("slurm-percent");
        var folder = Directory.CreateDirectory(root["runs-%x-%j"]).FullName;
        var worker = new FakeWorker { Directory = root["worker"], Epochs = 1, EpochSeconds = 0.1 }.Write();
        var config = StudyFiles.WriteConfig(folder, worker, trials: 1, name: "pct");
        Assert.Equal(0, (await SearchCli.RunAsync(folder, "study", "create", config)).ExitCode);

        // When it is submitted (SQLite, one worker) and the job ends
        var submit = await SearchCli.RunAsync(folder, slurm.Environment, "study", "submit", "pct", "--slurm", "--format", "json");
        Assert.True(submit.ExitCode == 0, submit.Stderr + submit.Stdout);
        var jobId = (long)JsonNode.Parse(submit.Stdout)!["job_id"]!;
        await slurm.WaitForEndAsync(jobId, TimeSpan.FromMinutes(3));

        // Then the task ran and its logs are in the study's slurm folder (the task failed at launch, JobLaunchFailure, its
        // logs meant for a folder that does not exist, while submit had said it was submitted)
        Assert.Equal("COMPLETED", (await slurm.TaskStatesAsync(jobId))[$"{jobId}_0"]);
        Assert.True(File.Exists(Path.Combine(folder, "studies", "pct", "slurm", $"{jobId}_0.out")), "no .out log in the study's slurm folder");
        Assert.True(File.Exists(Path.Combine(folder, "studies", "pct", "slurm", $"{jobId}_0.err")), "no .err log in the study's slurm folder");
    }

    /// <summary>What the tasks wrote to stderr (a worker refused by the database says so there).</summary>
    private static string TaskErrors(TempDirectory dir)
    {
        var logs = dir["studies/cli-study/slurm"];
        return Directory.Exists(logs) ? string.Join(" | ", Directory.GetFiles(logs, "*.err").Select(File.ReadAllText)) : "(no task logs)";
    }
}
