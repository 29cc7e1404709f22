using Dapper;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A PostgreSQL password given in the storage URL never leaves the process (issue 11): console, study.log,
/// `study list`, error messages and the configuration stored in the database all show <c>***</c> instead.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class StoragePasswordTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task WhenTheStorageUrlHoldsAPasswordThenItIsMaskedEverywhere()
    {
        // Given a PostgreSQL URL with a password (loopback trust auth ignores it; CI's own password is used when set)
        var plain = await postgres.CreateDatabaseAsync();
        var target = new NpgsqlConnectionStringBuilder(Mnist.Search.Storage.StorageUrl.Parse(plain, "/").Target);
        var secret = string.IsNullOrEmpty(target.Password) ? "s3cret-pw" : target.Password;
        var url = $"postgresql://{target.Username}:{secret}@{target.Host}:{target.Port}/{target.Database}";
        using var dir = new TempDirectory("cli-password");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["storage"] = url);

        // When the study runs, is created again, listed, and a typo'd study is asked for
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        var list = await SearchCli.RunAsync(dir.Path, "study", "list", "--storage", url);
        var unknown = await SearchCli.RunAsync(dir.Path, "trials", "list", "nope", "--storage", url);

        // Then everything worked, the secret appears nowhere, and *** stands in for it
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.Equal(0, create.ExitCode);
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(2, unknown.ExitCode);
        var log = await File.ReadAllTextAsync(dir["studies/cli-study/study.log"]);
        await using var c = new NpgsqlConnection(target.ConnectionString);
        var stored = string.Join("\n", await c.QueryAsync<string>("SELECT value_json FROM study_system_attributes"));
        foreach (var text in new[] { start.Stdout, start.Stderr, create.Stdout, list.Stdout, unknown.Stderr, log, stored })
            Assert.DoesNotContain(secret, text);
        Assert.Contains($"{target.Username}:***@", start.Stderr);
        Assert.Contains($"{target.Username}:***@", log);
        Assert.Contains($"{target.Username}:***@", create.Stdout);
        Assert.Contains($"{target.Username}:***@", list.Stdout);
        Assert.Contains($"{target.Username}:***@", unknown.Stderr);
        Assert.Contains($"{target.Username}:***@", stored);
    }
}
