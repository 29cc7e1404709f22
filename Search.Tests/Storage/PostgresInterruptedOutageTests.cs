using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// An operation interrupted (Ctrl+C) while the PostgreSQL server goes down or is down ends cancelled, which the command
/// line prints as "interrupted" with exit code 130. Its retries stopped at the cancellation, and an attempt that failed
/// once the interruption had come was taken for a server that stayed away through them all: "lost the database server
/// and it did not come back within 10 tries", exit 1.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class PostgresInterruptedOutageTests(PostgresServerFixture server)
{
    [Fact]
    public async Task ReadsInterruptedWhileTheServerGoesDownEndCancelledNotAsAServerGone()
    {
        // Given a read-only storage that has opened on a study, with a connection in its pool
        Assert.True(server.OwnsServer, $"stopping needs a server the tests may restart: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable} to its data folder");
        var url = await server.CreateDatabaseAsync();
        await QueryStudy.CreateAsync(url, "/");
        await using var storage = await StorageFactory.OpenReadOnlyAsync(url, "/");
        var study = (await storage.GetStudyAsync("q"))!;

        // When the server stops (fast shutdown: sessions terminated) for 4 s, and reads begun every 50 ms from its stop
        // on are each interrupted 0.3 s after they began: among them, interruptions that come while an attempt is under
        // way, on a connection the shutdown breaks or one it refuses
        var restart = server.RestartAsync(TimeSpan.FromSeconds(4));
        var reads = Enumerable.Range(0, 30).Select(i => Task.Run(async () =>
        {
            await Task.Delay(50 * i);
            using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try { await storage.GetAllTrialsAsync(study.Id, ct: interrupt.Token); return null; }
            catch (Exception e) { return e; }
        })).ToArray();
        var errors = await Task.WhenAll(reads);
        await restart; // the server is back for the next test, whatever the reads did

        // Then every read that did not finish before the stop ended cancelled; none as a server that did not come back
        // after 10 tries (the interrupted attempt's error was taken for the last of them)
        Assert.All(errors.OfType<Exception>(), e => Assert.True(e is OperationCanceledException, e.ToString()));
        Assert.Contains(errors, e => e is OperationCanceledException);
    }
}
