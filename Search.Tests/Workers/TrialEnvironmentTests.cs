using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Workers;

/// <summary>What the coordinator's environment passes on to the trial processes it starts.</summary>
[Trait(Needs.Name, Needs.PostgreSql)]
public sealed class TrialEnvironmentTests(PrivatePostgresServerFixture postgres) : IClassFixture<PrivatePostgresServerFixture>
{
    [Fact]
    public async Task ATrialDoesNotSeeTheDatabasePasswordTheCoordinatorConnectsWith()
    {
        // Given a study in a database whose role must give its password (no trust auth for it), and a worker program that
        // writes down the PGPASSWORD it and a process it starts see
        var (url, password) = await postgres.CreatePasswordDatabaseAsync();
        using var dir = new TempDirectory("trial-env");
        var seen = dir["seen.log"];
        var probe = $"echo \"trial $n: ${{PGPASSWORD-unset}} $(bash -c 'echo ${{PGPASSWORD-unset}}')\" >> '{seen}'";
        var worker = new FakeWorker { Directory = dir["worker"], Custom = { [0] = probe, [1] = probe } }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", config, "--storage", url);
        Assert.True(create.ExitCode == 0, create.Stderr);

        // When `study worker` runs it as a Slurm task does: the URL without the password, which is in PGPASSWORD
        var (bare, _) = StorageUrl.SplitPassword(url);
        var run = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["PGPASSWORD"] = password },
            "study", "worker", "cli-study", "--storage", bare, "--devices", "cpu");

        // Then the coordinator connected with it and recorded both trials, and neither trial, nor what it started, had it
        // (every trial process inherited it, custom programs included)
        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        await using (var storage = await StorageFactory.OpenAsync(url, dir.Path))
        {
            var trials = await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id);
            Assert.Equal(2, trials.Count(t => t.State == TrialState.COMPLETE));
        }
        Assert.Equal(["trial 0: unset unset", "trial 1: unset unset"], File.ReadAllLines(seen).Order());
    }
}
