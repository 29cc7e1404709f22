using Dapper;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Storage;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Ctrl+C (or SIGTERM) stops a long `trials sql` query at once, exit 130, on SQLite and on a real PostgreSQL server.
/// On SQLite the query ran on until the 60 s grace ended the process, since Microsoft.Data.Sqlite looks at the
/// cancellation token only before a statement starts.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class TrialsSqlInterruptTests(PostgresServerFixture postgres)
{
    // Counts without end: it never returns a row, so only an interrupt ends it.
    private const string EndlessSqlite = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c";

    private static readonly TimeSpan WellWithinGrace = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OnSqliteASignalInterruptsARunningQueryWithinSeconds()
    {
        // Given a study in a SQLite file and an endless query running on it
        using var dir = new TempDirectory("sql-int-sqlite");
        await QueryStudy.CreateAsync("sqlite:s.db", dir.Path);
        await using var query = SearchCli.Watch("trials sql", dir.Path, 5, "trials", "sql", "q", EndlessSqlite, "--storage", "sqlite:s.db");
        await WaitUntilAsync(() => HoldsOpen(query.Id, dir["s.db"]), query);
        await Task.Delay(1500); // past the study lookup, into the query's own statement

        // When the process gets SIGTERM (Ctrl+C takes the same path)
        query.Signal(UnixSignal.Term);

        // Then it stops well within the grace, as interrupted
        var exit = await query.WaitForExitAsync(WellWithinGrace);
        Assert.True(exit == 130, $"exit {exit}: {query.Output}");
        // And says so without a word about trials, which a query has none of (every command spoke of a study's trials)
        Assert.Contains("SIGTERM: stopping; a second signal quits at once", query.Output);
        Assert.Contains("interrupted", query.Output);
    }

    [Fact]
    public async Task OnPostgresASignalCancelsARunningQueryOnTheServer()
    {
        // Given a study in a PostgreSQL database and a long query running on the server
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-int-pg");
        await QueryStudy.CreateAsync(url, dir.Path);
        var target = Mnist.Search.Storage.StorageUrl.Parse(url, "/").Target;
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target) { Pooling = false }.ConnectionString);
        async Task<int> Running() => await admin.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()");
        await using var query = SearchCli.Watch("trials sql", dir.Path, 5, "trials", "sql", "q", "SELECT pg_sleep(600)", "--storage", url);
        await WaitUntilAsync(async () => await Running() == 1, query);

        // When the process gets SIGTERM
        query.Signal(UnixSignal.Term);

        // Then it stops within seconds and the server no longer runs the query
        var exit = await query.WaitForExitAsync(WellWithinGrace);
        Assert.True(exit == 130, $"exit {exit}: {query.Output}");
        Assert.Contains("interrupted", query.Output);
        await WaitUntilAsync(async () => await Running() == 0, query);
    }

    private static bool HoldsOpen(int pid, string file)
    {
        try
        {
            return Directory.EnumerateFiles($"/proc/{pid}/fd").Any(fd =>
                new FileInfo(fd).LinkTarget is { } link && link == file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static Task WaitUntilAsync(Func<bool> condition, WatchedProcess process) => WaitUntilAsync(() => Task.FromResult(condition()), process);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, WatchedProcess process)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.False(process.HasExited, $"{process.Name} exited early: {process.Output}");
            Assert.True(DateTime.UtcNow < deadline, $"condition not reached in 30 s; {process.Name}: {process.Output}");
            await Task.Delay(100);
        }
    }
}
