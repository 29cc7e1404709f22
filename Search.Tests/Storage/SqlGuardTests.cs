using System.Text.RegularExpressions;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// <see cref="SqlGuard"/> reads SQL as the databases' lexers do: a semicolon or a name inside a string, a quoted
/// name or a comment is not code, and code is never mistaken for a string (issue 11).
/// </summary>
public sealed class SqlGuardTests
{
    [Theory]
    [InlineData("SELECT * FROM trials", StorageKind.Sqlite)]
    [InlineData("  select number from trials;  -- trailing comment", StorageKind.Sqlite)]
    [InlineData("WITH t AS (SELECT 1) SELECT * FROM t;", StorageKind.Postgres)]
    [InlineData("SELECT 'a;b', \"odd;name\" FROM trials", StorageKind.Sqlite)]
    [InlineData("SELECT 'it''s; fine'", StorageKind.Postgres)]
    [InlineData("SELECT $$ ; DROP TABLE trials; $$", StorageKind.Postgres)]
    [InlineData("SELECT $tag$ lo_export ; $tag$", StorageKind.Postgres)]
    [InlineData("SELECT E'\\' ; not code'", StorageKind.Postgres)]
    [InlineData("/* VACUUM INTO 'x' ; */ SELECT 1", StorageKind.Sqlite)]
    [InlineData("/* outer /* inner */ still comment ; */ SELECT 1", StorageKind.Postgres)]
    [InlineData("EXPLAIN SELECT 1", StorageKind.Sqlite)]
    [InlineData("SHOW server_version", StorageKind.Postgres)]
    [InlineData("SELECT table_to_xml('trials', true, false, '')", StorageKind.Postgres)]
    [InlineData("SELECT 'U&\"pg_read_fil\\0065\"', U&'\\0041'", StorageKind.Postgres)]
    public void WhenTheTextIsOneQueryThenItIsAllowed(string sql, StorageKind dialect) => SqlGuard.Check(sql, dialect);

    [Theory]
    [InlineData("SELECT 1; SELECT 2", StorageKind.Sqlite, "exactly one statement")]
    [InlineData("SELECT 1; DELETE FROM trials", StorageKind.Postgres, "exactly one statement")]
    [InlineData("SELECT 'a\\'; DELETE FROM trials; --'", StorageKind.Postgres, "exactly one statement")]
    [InlineData("SELECT E'\\''; DELETE FROM trials", StorageKind.Postgres, "exactly one statement")]
    [InlineData("/* /* */ ; DELETE FROM trials */", StorageKind.Sqlite, "exactly one statement")]
    [InlineData("VACUUM INTO '/tmp/copy.db'", StorageKind.Sqlite, "starts with 'VACUUM'")]
    [InlineData("ATTACH 'x.db' AS x", StorageKind.Sqlite, "starts with 'ATTACH'")]
    [InlineData("BEGIN READ WRITE", StorageKind.Postgres, "starts with 'BEGIN'")]
    [InlineData("COPY (SELECT 1) TO '/tmp/leak'", StorageKind.Postgres, "starts with 'COPY'")]
    [InlineData("\"SELECT\" 1", StorageKind.Postgres, "starts with 'SELECT'")]
    [InlineData("SELECT lo_export(1, '/tmp/leak')", StorageKind.Postgres, "refuses 'lo_export'")]
    [InlineData("SELECT \"pg_read_file\"('/etc/passwd')", StorageKind.Postgres, "refuses 'pg_read_file'")]
    [InlineData("SELECT load_extension('x')", StorageKind.Sqlite, "refuses 'load_extension'")]
    [InlineData("SELECT pg_catalog.query_to_xml('SELECT pg_read_file(''x'')', true, false, '')", StorageKind.Postgres, "refuses 'query_to_xml'")]
    [InlineData("SELECT * FROM ts_stat('SELECT 1')", StorageKind.Postgres, "refuses 'ts_stat'")]
    [InlineData("SELECT \"cursor_to_xml\"('c', 1, true, false, '')", StorageKind.Postgres, "refuses 'cursor_to_xml'")]
    [InlineData("SELECT u&\"pg_read_fil\\0065\"('x')", StorageKind.Postgres, "Unicode escapes")]
    [InlineData("SELECT dblink_open('c', 'SELECT 1')", StorageKind.Postgres, "refuses 'dblink_open'")]
    [InlineData("SELECT * FROM pg_ls_waldir()", StorageKind.Postgres, "refuses 'pg_ls_waldir'")]
    [InlineData("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", StorageKind.Postgres, "refuses 'pg_terminate_backend'")]
    [InlineData("SELECT pg_catalog.pg_cancel_backend(1)", StorageKind.Postgres, "refuses 'pg_cancel_backend'")]
    [InlineData("SELECT pg_try_advisory_xact_lock(726370001)", StorageKind.Postgres, "refuses 'pg_try_advisory_xact_lock'")]
    [InlineData("  -- only a comment", StorageKind.Sqlite, "empty")]
    public void WhenTheTextIsNotOneSafeQueryThenItIsRefusedSayingWhy(string sql, StorageKind dialect, string why)
    {
        var e = Assert.Throws<QueryRefusedException>(() => SqlGuard.Check(sql, dialect));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void EveryFunctionTheReadmeSaysIsRefusedIsRefused()
    {
        // Given the functions README's "Hostile SQL" paragraph names as refused (a family as its beginning, `dblink…`)
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var start = readme.IndexOf("**Hostile SQL.**", StringComparison.Ordinal);
        var paragraph = readme[start..readme.IndexOf("are refused by", start, StringComparison.Ordinal)];
        var names = Regex.Matches(paragraph, @"`([a-z_0-9]+)(…)?`").Select(m => m.Groups[1].Value + (m.Groups[2].Success ? "x" : "")).ToList();

        // When each is called in a PostgreSQL query
        var letThrough = names.Where(n => Record.Exception(() => SqlGuard.Check($"SELECT {n}(1)", StorageKind.Postgres)) is not QueryRefusedException);

        // Then the guard refuses every one, the functions that run SQL given as a string among them (the README named
        // none of those, and query_to_xml ran a refused pg_read_file given to it as a string)
        Assert.Contains("query_to_xml", names);
        Assert.Empty(letThrough);
    }
}
