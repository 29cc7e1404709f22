using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>trials sql</c> prints PostgreSQL's dates and times as SQLite holds Optuna's (<c>2026-12-06 18:58:38.523192</c>),
/// in the table, csv and json alike, on a real PostgreSQL server.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class TrialsSqlTimeTests(PostgresServerFixture postgres)
{
    private const string Started = "2026-12-06 18:58:38.523192";
    private const string StartedSql = "SELECT number, datetime_start FROM trials WHERE number = 0";

    [Fact]
    public async Task AnOptunaTimeColumnPrintsTheSameOnPostgresAsOnSqliteInEveryFormat()
    {
        // Given the same study on SQLite and on PostgreSQL, its trial 0 started at the same moment
        using var dir = new TempDirectory("sql-time");
        await QueryStudy.CreateAsync("sqlite:s.db", dir.Path);
        await using (var c = new SqliteConnection($"Data Source={dir["s.db"]};Pooling=false"))
            await c.ExecuteAsync($"UPDATE trials SET datetime_start = '{Started}' WHERE number = 0");
        var url = await postgres.CreateDatabaseAsync();
        await QueryStudy.CreateAsync(url, dir.Path);
        await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(StorageUrl.Parse(url, "/").Target) { Pooling = false }.ConnectionString))
            await c.ExecuteAsync($"UPDATE trials SET datetime_start = TIMESTAMP '{Started}' WHERE number = 0");

        foreach (var format in new[] { "table", "csv", "json" })
        {
            // When trials sql reads the column from each
            var sqlite = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", StartedSql, "--storage", "sqlite:s.db", "--format", format);
            var pg = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", StartedSql, "--storage", url, "--format", format);

            // Then both print the time as SQLite holds it: PostgreSQL's table and csv printed "12/06/2026 18:58:38"
            // (month first, whole seconds) and its json "2026-12-06T18:58:38.5231920"
            Assert.True(sqlite.ExitCode == 0 && pg.ExitCode == 0, $"{format}: {sqlite.Stderr}{pg.Stderr}");
            Assert.Contains(Started, sqlite.Stdout);
            Assert.Equal(sqlite.Stdout, pg.Stdout);
        }
    }

    [Fact]
    public async Task PostgresDatesTimesAndIntervalsPrintInOneInvariantForm()
    {
        // Given a study in a PostgreSQL database
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-time-pg");
        await QueryStudy.CreateAsync(url, dir.Path);
        const string sql = "SELECT TIMESTAMPTZ '2026-12-06 18:58:38.5+02' AS tz, DATE '2026-12-06' AS d, TIME '01:02:03.25' AS t, " +
                           "TIMETZ '01:02:03+02' AS ttz, INTERVAL '1 day 02:00:00.5' AS i, TIMESTAMP 'infinity' AS inf";

        // When trials sql reads every kind of date and time, as csv and as json
        var csv = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", sql, "--storage", url, "--format", "csv");
        var json = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", sql, "--storage", url, "--format", "json");

        // Then each is ISO text with microseconds (a timestamptz in UTC, with its offset), the same in both formats
        Assert.True(csv.ExitCode == 0, csv.Stderr);
        string[] expected = ["2026-12-06 16:58:38.500000+00:00", "2026-12-06", "01:02:03.250000", "01:02:03.000000+02:00", "1.02:00:00.500000", "infinity"];
        Assert.Equal($"tz,d,t,ttz,i,inf\n{string.Join(',', expected)}", csv.Stdout.Trim().ReplaceLineEndings("\n"));
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.Equal(expected, JsonNode.Parse(json.Stdout)!.AsArray().Single()!.AsObject().Select(kv => (string)kv.Value!));
    }
}
