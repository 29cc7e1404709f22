using System.Diagnostics;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// A PostgreSQL server that goes away under an open storage and stays away longer than its retries (about 9 s) ends
/// the operation with one line naming the storage (password masked), as a server that is down at opening does:
/// a <see cref="StorageUnreachableException"/>, which the command line prints on one line with exit code 1.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutageTests(PostgresServerFixture server)
{
    [Fact]
    public async Task WhenTheServerStaysDownLongerThanTheRetriesThenWritableAndReadOnlyStoragesSayItOnOneLine()
    {
        // Given a study reached through a URL with a password (loopback trust auth ignores it; CI's own is used when
        // set), and a writable and a read-only storage that have both opened on it
        Assert.True(server.OwnsServer, $"stopping needs a server the tests may restart: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable} to its data folder");
        var target = new NpgsqlConnectionStringBuilder(StorageUrl.Parse(await server.CreateDatabaseAsync(), "/").Target);
        var secret = string.IsNullOrEmpty(target.Password) ? "s3cret-pw" : target.Password;
        var url = $"postgresql://{target.Username}:{secret}@{target.Host}:{target.Port}/{target.Database}";
        await QueryStudy.CreateAsync(url, "/");
        await using var writable = await StorageFactory.OpenAsync(url, "/");
        await using var readOnly = await StorageFactory.OpenReadOnlyAsync(url, "/");
        var study = (await readOnly.GetStudyAsync("q"))!;

        // When the server goes down for 25 s, and each storage reads while it is down
        var restart = server.RestartAsync(TimeSpan.FromSeconds(25));
        await server.WaitUntilDownAsync();
        var clock = Stopwatch.StartNew();
        var reads = new[] { writable, readOnly }.Select(s => Task.Run(async () =>
        {
            try { await s.GetAllTrialsAsync(study.Id); return null; }
            catch (Exception e) { return e; }
        })).ToArray();
        var errors = await Task.WhenAll(reads);
        var waited = clock.Elapsed;
        await restart; // the server is back for the next test, whatever the reads did

        // Then each rode out the retries and then gave one line naming the storage without its password; before, the
        // last NpgsqlException ("Failed to connect to ...") reached the user as a stack trace
        Assert.True(waited > TimeSpan.FromSeconds(5) && waited < TimeSpan.FromSeconds(25), $"the reads ended after {waited}");
        Assert.All(errors, e =>
        {
            var gone = Assert.IsType<StorageUnreachableException>(e);
            Assert.DoesNotContain('\n', gone.Message);
            Assert.StartsWith($"storage postgresql://{target.Username}:***@{target.Host}:{target.Port}/{target.Database}: lost the database server", gone.Message);
            Assert.DoesNotContain(secret, gone.Message);
        });
    }
}
