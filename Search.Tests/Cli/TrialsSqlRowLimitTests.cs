using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>trials sql</c> holds every row until it prints them, so it reads at most <c>--max-rows</c> (default 100,000): an
/// endless query grew the process by gigabytes and printed nothing. What is left out is said on stderr.
/// </summary>
public sealed class TrialsSqlRowLimitTests
{
    // Rows without end: only a limit ends it.
    private const string Endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c";

    [Fact]
    public async Task AnEndlessQueryPrintsTheFirstRowsOfTheLimitAndSaysTheRestWereLeftOut()
    {
        // Given a study in a SQLite file
        using var dir = new TempDirectory("sql-max-rows");
        await QueryStudy.CreateAsync("sqlite:s.db", dir.Path);

        // When an endless query runs with the default limit, with --max-rows 3, and a query of 2 rows with --max-rows 2
        var byDefault = await SearchCli.RunAsync(TimeSpan.FromMinutes(2), dir.Path, "trials", "sql", "q", Endless, "--storage", "sqlite:s.db", "--format", "csv");
        var three = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", Endless, "--storage", "sqlite:s.db", "--max-rows", "3", "--format", "json");
        var whole = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", "VALUES (1), (2)", "--storage", "sqlite:s.db", "--max-rows", "2", "--format", "json");
        var zero = await SearchCli.RunAsync(dir.Path, "trials", "sql", "q", Endless, "--storage", "sqlite:s.db", "--max-rows", "0");

        // Then each limited query prints its first rows and one warning, one that fits prints no warning, and a limit
        // below 1 is refused in one line
        Assert.True(byDefault.ExitCode == 0, byDefault.Stderr);
        var lines = byDefault.Stdout.Trim().Split('\n');
        Assert.Equal(100_001, lines.Length); // the header and 100,000 rows
        Assert.Equal("100000", lines[^1].Trim());
        Assert.Equal("warning: the query gave more than 100,000 rows; the first 100,000 are shown (--max-rows N shows more)", byDefault.Stderr.Trim());
        Assert.True(three.ExitCode == 0, three.Stderr);
        Assert.Equal([1, 2, 3], JsonNode.Parse(three.Stdout)!.AsArray().Select(r => (int)r!["x"]!));
        Assert.Equal("warning: the query gave more than 3 rows; the first 3 are shown (--max-rows N shows more)", three.Stderr.Trim());
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        Assert.Equal(2, JsonNode.Parse(whole.Stdout)!.AsArray().Count);
        Assert.Equal("", whole.Stderr);
        Assert.Equal(2, zero.ExitCode);
        Assert.Equal("error: --max-rows: must be an integer of at least 1, got 0", zero.Stderr.Trim());
    }
}
