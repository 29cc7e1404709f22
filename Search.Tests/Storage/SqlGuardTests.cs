using Mnist.Search.Storage;

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
    [InlineData("  -- only a comment", StorageKind.Sqlite, "empty")]
    public void WhenTheTextIsNotOneSafeQueryThenItIsRefusedSayingWhy(string sql, StorageKind dialect, string why)
    {
        var e = Assert.Throws<QueryRefusedException>(() => SqlGuard.Check(sql, dialect));
        Assert.Contains(why, e.Message);
    }
}
