using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A PostgreSQL URL without the password the server wants ended every command in Npgsql's stack trace, exit 1. Its own
/// cluster: a role with a password needs pg_hba.conf, which a server given by MNIST_SEARCH_PG_URL (CI's) does not let us edit.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
public sealed class MissingPasswordTests(PrivatePostgresServerFixture postgres) : IClassFixture<PrivatePostgresServerFixture>
{
    [Fact]
    public async Task AUrlWithoutThePasswordTheServerWantsIsRefusedInOneLine()
    {
        // Given a database whose role must give a password, and its URL without it (no PGPASSWORD, no ~/.pgpass)
        var (url, password) = await postgres.CreatePasswordDatabaseAsync();
        var bare = Mnist.Search.Storage.StorageUrl.SplitPassword(url).Url;
        using var dir = new TempDirectory("cli-no-password");
        var env = new Dictionary<string, string> { ["PGPASSWORD"] = "", ["PGPASSFILE"] = dir["no-pgpass"] };

        // When a query and a create are run with it
        var list = await SearchCli.RunAsync(dir.Path, env, "study", "list", "--storage", bare);
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var create = await SearchCli.RunAsync(dir.Path, env, "study", "create", StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["storage"] = bare));

        // Then each is refused in one line naming the storage and what is missing, exit 2 (it was Npgsql's stack trace, exit 1)
        foreach (var run in new[] { list, create })
        {
            Assert.True(run.ExitCode == 2, run.Stderr);
            var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("the server wants a password and none was given", line);
            Assert.Contains(bare.Split('@')[1], line);
            Assert.DoesNotContain(password, line);
        }
    }
}
