using System.Collections.Concurrent;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// An operation that finds the PostgreSQL server failing says so at its first failure, and again when the server
/// answers: the retries rode out an outage (a frozen server, a partition) for minutes without a line (audit-pg 7).
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutageNoticeTests(PostgresServerFixture server)
{
    [Fact]
    public async Task ReadsDuringAnOutageSayOnceThatTheServerFailedAndOnceThatItAnswersAgain()
    {
        // Given an open storage on a study, its notices collected (only this database's: others may run beside)
        Assert.True(server.OwnsServer, $"stopping needs a server the tests may restart: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable} to its data folder");
        var url = await server.CreateDatabaseAsync();
        var database = new NpgsqlConnectionStringBuilder(StorageUrl.Parse(url, "/").Target).Database!;
        await QueryStudy.CreateAsync(url, "/");
        await using var storage = await StorageFactory.OpenAsync(url, "/");
        var study = (await storage.GetStudyAsync("q"))!;
        var notices = new ConcurrentQueue<string>();
        using var tell = LockWait.Tell(m => { if (m.Contains($"/{database}:", StringComparison.Ordinal)) notices.Enqueue(m); });

        // When the server is down for 3 s and the storage reads meanwhile, four reads at once (as a coordinator's trials do)
        var restart = server.RestartAsync(TimeSpan.FromSeconds(3));
        await server.WaitUntilDownAsync();
        var reads = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => storage.GetAllTrialsAsync(study.Id))));
        await restart;

        // Then the reads succeeded, and the storage said once that the server failed and once that it answers again
        // (each operation said both: four reads, eight lines)
        Assert.All(reads, Assert.NotNull);
        var said = notices.ToList();
        Assert.Equal(2, said.Count);
        Assert.Matches($@"^storage postgresql://\S+/{database}: the database server failed \(.+\); trying again, up to 10 tries$", said[0]);
        Assert.DoesNotContain('\n', said[0]);
        Assert.Matches($@"^storage postgresql://\S+/{database}: the database server answers again \(after \d+ s\)$", said[1]);
        // And an operation that never failed says nothing
        await storage.GetAllTrialsAsync(study.Id);
        Assert.Equal(2, notices.Count);
    }
}
