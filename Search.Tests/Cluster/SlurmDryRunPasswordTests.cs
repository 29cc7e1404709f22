using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cluster;

/// <summary>
/// <c>study submit --slurm --dry-run</c> on a PostgreSQL URL with a password: the script printed on the console masks
/// it (README, Secrets), while the script it would submit still runs the workers with it (no cluster needed).
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class SlurmDryRunPasswordTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task ADryRunPrintsTheJobScriptWithThePasswordMasked()
    {
        // Given a study in PostgreSQL, reached through a URL with a password (loopback trust auth ignores it; CI's own
        // password is used when set), and no sbatch on PATH
        var target = new NpgsqlConnectionStringBuilder(StorageUrl.Parse(await postgres.CreateDatabaseAsync(), "/").Target);
        var secret = string.IsNullOrEmpty(target.Password) ? "s3cret-pw" : target.Password;
        var url = $"postgresql://{target.Username}:{secret}@{target.Host}:{target.Port}/{target.Database}";
        using var dir = new TempDirectory("slurm-dry-password");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c => c["storage"] = url);
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        Assert.True(create.ExitCode == 0, create.Stderr);
        var noSlurm = new Dictionary<string, string> { ["PATH"] = Directory.CreateDirectory(dir["empty-path"]).FullName };

        // When its job script is printed with --dry-run, as text and as json
        var text = await SearchCli.RunAsync(dir.Path, noSlurm, "study", "submit", "cli-study", "--slurm", "--dry-run", "--workers", "2", "--storage", url);
        var json = await SearchCli.RunAsync(dir.Path, noSlurm, "study", "submit", "cli-study", "--slurm", "--dry-run", "--workers", "2", "--storage", url, "--format", "json");

        // Then the script shows *** for the password, which appears nowhere on the console;
        // before, the printed script held it in full
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.True(json.ExitCode == 0, json.Stderr);
        foreach (var output in new[] { text.Stdout, text.Stderr, json.Stdout, json.Stderr })
            Assert.DoesNotContain(secret, output);
        // (the workers get it in PGPASSWORD, not in their command line: see SlurmSubmitCliTests)
        Assert.Contains("export PGPASSWORD='***'\n", text.Stdout);
        Assert.Contains($"'--storage' 'postgresql://{target.Username}@{target.Host}:{target.Port}/{target.Database}' '--studies-dir' '{dir["studies"]}' --devices", text.Stdout);
        Assert.Contains("PGPASSWORD=", json.Stdout);
        Assert.Contains("***", json.Stdout);
        Assert.Contains("note: the password is shown as ***; the script submitted holds it", text.Stderr);
    }
}
