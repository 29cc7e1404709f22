using Dapper;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `trials sql` cannot change anything or write files, on SQLite and on a real PostgreSQL server (issue 11):
/// one statement, a query, on a connection the database keeps read-only; refusals exit 2 with one line.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class TrialsSqlReadOnlyTests(PostgresServerFixture postgres)
{
    private static void AssertRefused(SearchCli.Result r, string why)
    {
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stdout}{r.Stderr}");
        Assert.Contains(why, Assert.Single(r.Stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task OnSqliteVacuumIntoAttachAndASecondStatementAreRefusedAndWriteNothing()
    {
        // Given a study in a SQLite file
        using var dir = new TempDirectory("sql-ro-sqlite");
        await QueryStudy.CreateAsync("sqlite:s.db", dir.Path);
        string[] Sql(string q) => ["trials", "sql", "q", q, "--storage", "sqlite:s.db"];

        // When hostile SQL is run
        var vacuum = await SearchCli.RunAsync(dir.Path, Sql($"VACUUM INTO '{dir["copy.db"]}'"));
        var attach = await SearchCli.RunAsync(dir.Path, Sql($"ATTACH '{dir["new.db"]}' AS n"));
        var second = await SearchCli.RunAsync(dir.Path, Sql("SELECT 1; DELETE FROM trials"));
        var ok = await SearchCli.RunAsync(dir.Path, [.. Sql("SELECT COUNT(*) AS n FROM trials"), "--format", "csv"]);

        // Then each is refused, no file appears and no trial is gone; a plain query still works
        AssertRefused(vacuum, "starts with 'VACUUM'");
        AssertRefused(attach, "starts with 'ATTACH'");
        AssertRefused(second, "exactly one statement");
        Assert.False(File.Exists(dir["copy.db"]));
        Assert.False(File.Exists(dir["new.db"]));
        Assert.Equal(2, (await QueryStudy.StatesAsync("sqlite:s.db", dir.Path)).Count);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Equal("n\n2", ok.Stdout.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task OnPostgresNoStatementCanWriteTheDatabaseOrAServerFile()
    {
        // Given a study in a PostgreSQL database, and a large object a hostile query could export
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-ro-pg");
        await QueryStudy.CreateAsync(url, dir.Path);
        var leak = Path.Combine(Path.GetTempPath(), $"mnist-sql-leak-{Guid.NewGuid():N}");
        var target = Mnist.Search.Storage.StorageUrl.Parse(url, "/").Target;
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target) { Pooling = false }.ConnectionString))
            await admin.ExecuteAsync("SELECT lo_from_bytea(424242, 'secret')");
        string[] Sql(string q) => ["trials", "sql", "q", q, "--storage", url];

        // When hostile SQL is run
        var escape = await SearchCli.RunAsync(dir.Path, Sql("BEGIN READ WRITE; UPDATE trials SET state = 'FAIL' WHERE number = 1; COMMIT"));
        var create = await SearchCli.RunAsync(dir.Path, Sql("CREATE TABLE evil (x int)"));
        var copy = await SearchCli.RunAsync(dir.Path, Sql($"COPY (SELECT 1) TO '{leak}'"));
        var export = await SearchCli.RunAsync(dir.Path, Sql($"SELECT lo_export(424242, '{leak}')"));
        var flip = await SearchCli.RunAsync(dir.Path, Sql("SELECT set_config('transaction_read_only', 'off', false), 1"));
        var cte = await SearchCli.RunAsync(dir.Path, Sql("WITH u AS (UPDATE trials SET state = 'FAIL' RETURNING 1) SELECT * FROM u"));
        var ok = await SearchCli.RunAsync(dir.Path, [.. Sql("SELECT COUNT(*) AS n FROM trials"), "--format", "csv"]);

        // Then each is refused (by the guard or by the server), nothing changed and no file was written
        AssertRefused(escape, "exactly one statement");
        AssertRefused(create, "starts with 'CREATE'");
        AssertRefused(copy, "starts with 'COPY'");
        AssertRefused(export, "refuses 'lo_export'");
        AssertRefused(flip, "read-write mode must be set before any query");
        AssertRefused(cte, "read-only transaction");
        Assert.False(File.Exists(leak));
        Assert.All(await QueryStudy.StatesAsync(url, dir.Path), s => Assert.Equal(TrialState.COMPLETE, s));
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target) { Pooling = false }.ConnectionString))
            Assert.False(await admin.ExecuteScalarAsync<bool>("SELECT to_regclass('evil') IS NOT NULL"));
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Equal("n\n2", ok.Stdout.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task OnPostgresSqlGivenToAFunctionAsAStringCannotRunARefusedFunction()
    {
        // Given a study in a PostgreSQL database (the server's PG_VERSION file holds its major version)
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("sql-ro-pg-text");
        await QueryStudy.CreateAsync(url, dir.Path);
        string[] Sql(string q) => ["trials", "sql", "q", q, "--storage", url];

        // When pg_read_file is hidden in a string that the server runs as SQL, or spelled with a Unicode escape
        var xml = await SearchCli.RunAsync(dir.Path, Sql("SELECT query_to_xml('SELECT pg_read_file(''PG_VERSION'') AS f', true, false, '')"));
        var stat = await SearchCli.RunAsync(dir.Path, Sql("SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', pg_read_file(''PG_VERSION''))')"));
        var escaped = await SearchCli.RunAsync(dir.Path, Sql("SELECT U&\"pg_read_fil\\0065\"('PG_VERSION')"));

        // Then each is refused in one line with exit 2, and nothing of the file is printed: query_to_xml printed it
        // (exit 0), as did ts_stat and the escaped name, though pg_read_file is refused by name
        AssertRefused(xml, "refuses 'query_to_xml': it runs SQL given to it as a string");
        AssertRefused(stat, "refuses 'ts_stat'");
        AssertRefused(escaped, "refuses the name U&\"pg_read_fil\\0065\"");
        Assert.All(new[] { xml, stat, escaped }, r => Assert.Equal("", r.Stdout));
    }
}
