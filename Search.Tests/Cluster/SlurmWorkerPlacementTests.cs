using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Cluster;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cluster;

/// <summary>Where a live Slurm array task's worker writes, and with how many threads it trains on the CPU.</summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Trait(Needs.Name, Needs.Slurm)]
[Collection(SlurmCollection.Name)]
public sealed class SlurmWorkerPlacementTests(SlurmClusterFixture slurm, PrivatePostgresServerFixture postgres)
{
    [Fact]
    public async Task ACpuTaskTrainsWithItsCpusPerWorkerAndWritesItsStudyFolderUnderStudiesDir()
    {
        // Given a PostgreSQL study of one short trial, the study's devices left to share the cores
        using var dir = new TempDirectory("slurm-placement");
        var url = await postgres.CreateDatabaseAsync();
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config, "--storage", url)).ExitCode);

        // When it is submitted as one CPU task of 1 CPU, its files to another studies folder, and the task ends
        var submitted = await SearchCli.RunAsync(dir.Path, slurm.Environment, "study", "submit", "cli-study", "--slurm", "--storage", url,
            "--cpus-per-worker", "1", "--studies-dir", dir["sd"], "--format", "json");
        Assert.True(submitted.ExitCode == 0, submitted.Stderr + submitted.Stdout);
        var jobId = (long)JsonNode.Parse(submitted.Stdout)!["job_id"]!;
        await slurm.WaitForEndAsync(jobId, TimeSpan.FromMinutes(3));

        // Then the task completed, its worker trained with the 1 CPU Slurm gave it (it took every core of the node), and
        // study.log and the trial's folder are beside the task's logs under --studies-dir, none under the submit folder's
        // studies/ (the workers wrote there)
        var logs = dir["sd/cli-study/slurm"];
        var taskLog = File.ReadAllText(Path.Combine(logs, $"{jobId}_0.err"));
        Assert.True((await slurm.TaskStatesAsync(jobId))[$"{jobId}_0"] == "COMPLETED", taskLog);
        Assert.Contains("Devices: cpu:0 (1 threads)", taskLog);
        Assert.Contains("Study cli-study joined in", taskLog);
        Assert.Contains("Devices: cpu:0 (1 threads)", File.ReadAllText(dir["sd/cli-study/study.log"]));
        Assert.True(Directory.Exists(dir["sd/cli-study/trials/0"]), taskLog);
        Assert.False(File.Exists(dir["studies/cli-study/study.log"]), taskLog);
        Assert.False(Directory.Exists(dir["studies/cli-study/trials"]), taskLog);
    }
}
