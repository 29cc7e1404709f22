using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>--max-rows</c> on a real PostgreSQL server: closing an Npgsql reader reads every row the query has left, so an
/// endless query stopped at the limit still never ended; the server is told to cancel it first.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class TrialsSqlRowLimitPostgresTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task AnEndlessQueryStopsAtTheLimitAndEndsAtOnce()
    {
        // Given a study in a PostgreSQL database
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-max-rows-pg");
        await QueryStudy.CreateAsync(url, dir.Path);

        // When an endless query runs with --max-rows 3
        var r = await SearchCli.RunAsync(TimeSpan.FromSeconds(60), dir.Path, "trials", "sql", "q",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c", "--storage", url, "--max-rows", "3", "--format", "json");

        // Then it prints the first 3 rows and the warning, and ends
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal([1, 2, 3], JsonNode.Parse(r.Stdout)!.AsArray().Select(row => (int)row!["x"]!));
        Assert.Equal("warning: the query gave more than 3 rows; the first 3 are shown (--max-rows N shows more)", r.Stderr.Trim());
    }
}
