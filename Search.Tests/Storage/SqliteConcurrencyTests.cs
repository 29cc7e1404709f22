using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Storage;

/// <summary>Many writers on one SQLite file (each its own storage, as separate processes would be).</summary>
public sealed class SqliteConcurrencyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mnist-sqlite-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task WhenSixteenWritersHammerOneFileThenNothingIsLockedAndNoRowIsLost()
    {
        // Given
        var url = $"sqlite:study.db";
        await using var main = await StorageFactory.OpenAsync(url, _dir);
        var study = (await main.CreateStudyAsync("s", StudyDirection.MINIMIZE)).Study;
        var writers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => StorageFactory.OpenAsync(url, _dir)));
        const int perWriter = 12;

        // When: each creates trials, reports three epochs, sets attributes, beats, finishes; readers poll meanwhile
        try
        {
            var reader = Task.Run(async () =>
            {
                for (var i = 0; i < 20; i++) await main.GetAllTrialsAsync(study.Id);
            });
            await Task.WhenAll(writers.Select((w, i) => Task.Run(async () =>
            {
                for (var k = 0; k < perWriter; k++)
                {
                    var t = await w.CreateTrialAsync(study.Id, TrialState.RUNNING, StudyStorageContract.SomeParams(),
                        new Dictionary<string, object?> { ["pid"] = i });
                    for (var epoch = 0; epoch < 3; epoch++) await w.ReportIntermediateValueAsync(t.Id, epoch, k + epoch);
                    await w.SetTrialUserAttrAsync(t.Id, "writer", i);
                    await w.RecordHeartbeatAsync(t.Id);
                    await w.FinishTrialAsync(t.Id, TrialState.COMPLETE, i * 1000 + k);
                }
            })).Append(reader));
        }
        finally
        {
            foreach (var w in writers) await w.DisposeAsync();
        }

        // Then
        var trials = await main.GetAllTrialsAsync(study.Id);
        Assert.Equal(Enumerable.Range(0, 16 * perWriter), trials.Select(t => t.Number));
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialState.COMPLETE, t.State);
            Assert.Equal(3, t.IntermediateValues.Count);
            Assert.Equal(3, t.Params.Count);
            Assert.Equal(t.SystemAttrs["pid"], t.UserAttrs["writer"]);
        });
        Assert.Equal(16 * perWriter, trials.Select(t => t.Value).Distinct().Count());
    }

    [Fact]
    public async Task WhenTheDatabaseIsCreatedThenItIsInWalModeAtOptunasSchemaRevision()
    {
        // Given / When
        await using (await StorageFactory.OpenAsync("sqlite:deep/er/study.db", _dir)) { }

        // Then
        await using var c = new SqliteConnection($"Data Source={_dir}/deep/er/study.db;Pooling=false");
        await c.OpenAsync();
        Assert.Equal("wal", await c.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal("v3.2.0.a", await c.ExecuteScalarAsync<string>("SELECT version_num FROM alembic_version"));
        Assert.Equal(12, await c.ExecuteScalarAsync<int>("SELECT schema_version FROM version_info WHERE version_info_id = 1"));
    }

    [Fact]
    public async Task WhenTheDatabaseIsAtAnotherOptunaRevisionThenOpeningFailsNamingBoth()
    {
        // Given
        await using (await StorageFactory.OpenAsync("sqlite:old.db", _dir)) { }
        await using (var c = new SqliteConnection($"Data Source={_dir}/old.db;Pooling=false"))
        {
            await c.OpenAsync();
            await c.ExecuteAsync("UPDATE alembic_version SET version_num = 'v3.0.0.d'");
        }

        // When
        var e = await Assert.ThrowsAsync<StorageException>(() => StorageFactory.OpenAsync("sqlite:old.db", _dir));

        // Then
        Assert.Contains("v3.0.0.d", e.Message);
        Assert.Contains("v3.2.0.a", e.Message);
        Assert.Contains("old.db", e.Message);
    }

    [Fact]
    public async Task WhenAReadOnlyConnectionWritesThenSqliteItselfRefuses()
    {
        // Given
        await using (var s = await StorageFactory.OpenAsync("sqlite:ro.db", _dir))
            await s.CreateStudyAsync("s", StudyDirection.MAXIMIZE);

        // When
        await using var c = await StorageFactory.OpenReadOnlyConnectionAsync("sqlite:ro.db", _dir);

        // Then
        Assert.Equal(1, await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM studies"));
        var e = await Assert.ThrowsAsync<SqliteException>(() => c.ExecuteAsync("DELETE FROM studies"));
        Assert.Equal(8, e.SqliteErrorCode); // SQLITE_READONLY
        await Assert.ThrowsAsync<StorageException>(() => StorageFactory.OpenReadOnlyConnectionAsync("sqlite:none.db", _dir));
    }
}
