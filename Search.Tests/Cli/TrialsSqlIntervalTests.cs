using System.Text.Json.Nodes;
using Dapper;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>trials sql</c> on a real PostgreSQL server reads every value a SELECT returns: an interval with months prints
/// with them, and a value the driver has no .NET form for is one line naming the column and its type (exit 2).
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class TrialsSqlIntervalTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task AnIntervalWithMonthsPrintsItsMonthsBeforeItsDaysAndTime()
    {
        // Given a study in PostgreSQL whose trial 0 ran for one month and two days
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-interval");
        await QueryStudy.CreateAsync(url, dir.Path);
        await using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(StorageUrl.Parse(url, "/").Target) { Pooling = false }.ConnectionString))
            await c.ExecuteAsync("UPDATE trials SET datetime_start = datetime_complete - INTERVAL '1 month 2 days' WHERE number = 0");
        const string sql = "SELECT age(datetime_complete, datetime_start) AS age, INTERVAL '1 month' AS m, " +
                           "INTERVAL '1 year 2 months 3 days 04:05:06.5' AS y, INTERVAL '-1 month 2 days' AS n, " +
                           "INTERVAL '1 day 02:00:00.5' AS d, DATE 'infinity' AS di FROM trials WHERE number = 0";

        // When trials sql reads them as a table, as csv and as json
        var table = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", sql, "--storage", url);
        var csv = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", sql, "--storage", url, "--format", "csv");
        var json = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", sql, "--storage", url, "--format", "json");

        // Then each interval leads with its months (a year is 12 of them) and then prints as one without months does;
        // before, age(...) and INTERVAL '1 month' ended in a stack trace (InvalidCastException), '-1 month 2 days'
        // lost its month, and a date's 'infinity' printed as 9999-12-31
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("1 mon 2.00:00:00.000000", table.Stdout);
        string[] expected = ["1 mon 2.00:00:00.000000", "1 mon 00:00:00.000000", "14 mon 3.04:05:06.500000",
                             "-1 mon 2.00:00:00.000000", "1.02:00:00.500000", "infinity"];
        Assert.True(csv.ExitCode == 0, csv.Stderr);
        Assert.Equal($"age,m,y,n,d,di\n{string.Join(',', expected)}", csv.Stdout.Trim().ReplaceLineEndings("\n"));
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.Equal(expected, JsonNode.Parse(json.Stdout)!.AsArray().Single()!.AsObject().Select(kv => (string)kv.Value!));
    }

    [Theory]
    [InlineData("ARRAY[1, 2, 3]")]
    [InlineData("ARRAY['x', 'a b', '', NULL, 'NULL', 'q\"u,o{t}e\\']::text[]")]
    [InlineData("ARRAY[[1.5, 2], [3, 4]]::float8[]")]
    [InlineData("ARRAY[true, false]")]
    [InlineData("ROW(1, 'a b', NULL, '', 'p(a)r')")]
    [InlineData("(SELECT array_agg(number ORDER BY number) FROM trials)")]
    public async Task AnArrayOrARecordPrintsAsPostgreSqlPrintsIt(string expression)
    {
        // Given a study in PostgreSQL
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-composite");
        await QueryStudy.CreateAsync(url, dir.Path);

        // When trials sql selects an array or a record, and PostgreSQL's own text of it
        var result = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", $"SELECT {expression} AS v, ({expression})::text AS t", "--storage", url, "--format", "json");

        // Then the two are the same (it printed the .NET type's name, "System.Int32[]", "System.Object[]")
        Assert.True(result.ExitCode == 0, result.Stderr);
        var row = JsonNode.Parse(result.Stdout)!.AsArray().Single()!;
        Assert.Equal((string)row["t"]!, (string)row["v"]!);
    }

    [Theory]
    [InlineData("1e100::numeric", "numeric")]
    [InlineData("'NaN'::numeric", "numeric")]
    [InlineData("TIMESTAMP '20000-01-01'", "timestamp without time zone")]
    [InlineData("TIME '24:00:00'", "time without time zone")]
    [InlineData("ARRAY[NULL::int]", "integer[]")]
    [InlineData("ARRAY[INTERVAL '1 month']", "interval[]")]
    [InlineData("txid_current_snapshot()", "txid_snapshot")]
    [InlineData("'pg_class'::regclass", "regclass")]
    public async Task AValueWithNoDotNetFormIsOneLineNamingItsColumnAndType(string expression, string type)
    {
        // Given a study in PostgreSQL
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-unreadable");
        await QueryStudy.CreateAsync(url, dir.Path);

        // When trials sql selects a value Npgsql cannot turn into a .NET value
        var result = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", $"SELECT 1 AS n, {expression} AS v", "--storage", url);

        // Then it is refused in one line naming the column and its type, exit 2; before, the driver's
        // InvalidCastException, OverflowException or ArgumentOutOfRangeException was a stack trace with exit 1
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith("error: query failed: column 'v' of type ", line);
        Assert.Contains($" {type} cannot be read", line);
        Assert.Equal("", result.Stdout);
    }
}
