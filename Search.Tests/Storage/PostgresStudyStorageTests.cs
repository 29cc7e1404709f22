using Mnist.Search.Vocabulary;
using Npgsql;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

/// <summary>The storage contract over a fresh PostgreSQL database per test.</summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class PostgresStudyStorageTests(PostgresServerFixture server) : StudyStorageContract
{
    private string _url = "";

    protected override async Task CreateDatabaseAsync() => _url = await server.CreateDatabaseAsync();

    protected override Task<IStudyStorage> OpenStorageAsync() => StorageFactory.OpenAsync(_url, "/");

    [Fact]
    public async Task AHeartbeatCommittedWhileTheSweepWaitsForTheTrialsLockKeepsTheTrialAlive()
    {
        // Given a trial whose heartbeat is old, and another process that holds its row, about to record a heartbeat
        var study = (await Storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE)).Study;
        var trial = await Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, null, Ours);
        await Task.Delay(1500);
        await using var other = new NpgsqlConnection(StorageUrl.Parse(_url, "/").Target);
        await other.OpenAsync();
        await using var tx = await other.BeginTransactionAsync();
        foreach (var sql in new[]
                 {
                     "SET LOCAL TIME ZONE 'UTC'",
                     $"SELECT state FROM trials WHERE trial_id = {trial.Id} FOR UPDATE",
                     $"UPDATE trial_heartbeats SET heartbeat = LOCALTIMESTAMP WHERE trial_id = {trial.Id}",
                 })
        {
            await using var cmd = new NpgsqlCommand(sql, other, tx);
            await cmd.ExecuteNonQueryAsync();
        }

        // When a sweep starts (it found the trial stale and now waits for the row) and the heartbeat commits
        var sweep = Storage.FailStaleTrialsAsync(study.Id, TimeSpan.FromSeconds(1));
        await Task.Delay(500);
        Assert.False(sweep.IsCompleted, "the sweep did not wait for the row lock");
        await tx.CommitAsync();

        // Then the sweep fails nothing: the trial beat while it waited (it used to be failed all the same)
        Assert.Empty(await sweep);
        Assert.Equal(TrialState.RUNNING, (await Storage.GetTrialAsync(trial.Id)).State);
    }
}
