using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

/// <summary>A study survives a PostgreSQL restart: operations retry on fresh connections with backoff.</summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class PostgresRestartTests(PostgresServerFixture server)
{
    [Fact]
    public async Task WhenTheServerRestartsMidStudyThenEveryOperationStillSucceeds()
    {
        // Given: a storage with warm pooled connections
        Assert.True(server.OwnsServer, $"restart needs a server the tests may restart: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable} to its data folder");
        await using var storage = await StorageFactory.OpenAsync(await server.CreateDatabaseAsync(), "/");
        var study = (await storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var running = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // When: the server restarts (sessions killed with 57P01, 0.5 s down) while a worker keeps writing
        var worker = Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < 30; i++)
            {
                var t = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING, StudyStorageContract.SomeParams());
                await storage.ReportIntermediateValueAsync(t.Id, 0, i);
                await storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, i);
                mine.Add(t.Id);
                await Task.Delay(50);
            }
            return mine;
        });
        await Task.Delay(300);
        await server.RestartAsync(TimeSpan.FromMilliseconds(500));
        var finished = await worker;
        await storage.RecordHeartbeatAsync(running.Id);

        // Then
        var trials = await storage.GetAllTrialsAsync(study.Id);
        Assert.Equal(Enumerable.Range(0, trials.Count), trials.Select(t => t.Number));
        Assert.All(finished, id => Assert.Equal(TrialState.COMPLETE, trials.Single(t => t.Id == id).State));
        Assert.Equal(30, finished.Distinct().Count());
    }

    [Fact]
    public async Task WhenTheServerRestartsUnderAReadOnlyStorageThenAReadWaitsForItToComeBack()
    {
        // Given: a study, and a read-only storage that has opened on it (as every query command holds one)
        Assert.True(server.OwnsServer, $"restart needs a server the tests may restart: unset {PostgresServerFixture.UrlVariable}, or set {PostgresServerFixture.DataVariable} to its data folder");
        var url = await server.CreateDatabaseAsync();
        await QueryStudy.CreateAsync(url, "/");
        await using var storage = await StorageFactory.OpenReadOnlyAsync(url, "/");
        var study = (await storage.GetStudyAsync("q"))!;

        // When: the server goes down for 2 s, and the storage reads while it is down
        var restart = server.RestartAsync(TimeSpan.FromSeconds(2));
        var read = Task.Run(async () =>
        {
            await server.WaitUntilDownAsync();
            return await storage.GetAllTrialsAsync(study.Id);
        });
        await restart; // the server is back for the next test, whatever the read did
        var trials = await read;

        // Then: the read waited for the server and got every trial, as a writable storage's does: a read-only one gave
        // up after the three quick tries of opening (about 0.2 s) and its NpgsqlException reached the user as a stack trace
        Assert.Equal(2, trials.Count);
    }
}
