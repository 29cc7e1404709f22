using Mnist.Search.Storage;
using Npgsql;

namespace Mnist.Search.Tests.Storage;

public sealed class StorageUrlTests
{
    [Theory]
    [InlineData("sqlite:studies/a.db", "/base/studies/a.db")]
    [InlineData("sqlite:///studies/a.db", "/base/studies/a.db")]
    [InlineData("sqlite:////abs/a.db", "/abs/a.db")]
    [InlineData("sqlite:/abs/a.db", "/abs/a.db")]
    [InlineData("  sqlite:../up.db ", "/up.db")]
    public void WhenASqliteUrlIsParsedThenRelativePathsResolveAgainstTheBase(string url, string expected)
    {
        // When
        var parsed = StorageUrl.Parse(url, "/base");

        // Then
        Assert.Equal(StorageKind.Sqlite, parsed.Kind);
        Assert.Equal(expected, parsed.Target);
        Assert.Equal("sqlite:///" + expected, parsed.ToOptunaUrl());
    }

    [Theory]
    [InlineData("postgresql://alice@db.local:6543/study", "alice", "", "db.local", 6543, "study")]
    [InlineData("postgres://alice:s%40cret@10.0.0.5/study", "alice", "s@cret", "10.0.0.5", 5432, "study")]
    [InlineData("postgresql+psycopg2://bob:pw@localhost:5433/x", "bob", "pw", "localhost", 5433, "x")]
    public void WhenAPostgresUrlIsParsedThenItBecomesAConnectionString(string url, string user, string password, string host, int port, string db)
    {
        // When
        var parsed = StorageUrl.Parse(url, "/base");

        // Then
        var b = new NpgsqlConnectionStringBuilder(parsed.Target);
        Assert.Equal(StorageKind.Postgres, parsed.Kind);
        Assert.Equal((user, password, host, port, db), (b.Username, b.Password ?? "", b.Host, b.Port, b.Database));
        Assert.DoesNotContain(password.Length > 0 ? password : "\0", parsed.Display);
        Assert.Equal(parsed.Target, StorageUrl.Parse(parsed.ToOptunaUrl(), "/").Target);
    }

    [Theory]
    [InlineData("mysql://u@h/db", "expected sqlite:")]
    [InlineData("sqlite:", "no database file path")]
    [InlineData("sqlite://host/a.db", "takes no host")]
    [InlineData("sqlite::memory:", "in-memory")]
    [InlineData("postgresql://h:5432/db", "no user name")]
    [InlineData("postgresql://u@h:5432/", "one database name")]
    [InlineData("postgresql://u:topsecret@h:5432/db?sslmode=require", "query parameters")]
    public void WhenAUrlIsBadThenTheErrorNamesTheUrlAndTheProblem(string url, string problem)
    {
        // When
        var e = Assert.Throws<FormatException>(() => StorageUrl.Parse(url, "/base"));

        // Then
        Assert.Contains(problem, e.Message);
        Assert.StartsWith("storage URL '", e.Message);
        Assert.DoesNotContain("topsecret", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("postgresql://u:p%40w@h:5433/db", "postgresql://u:***@h:5433/db", "postgresql://u@h:5433/db", "p@w")]
    [InlineData("postgres://u:p@w@h/db", "postgres://u:***@h/db", "postgres://u@h/db", "p@w")]
    [InlineData("postgresql://u@h/db", "postgresql://u@h/db", "postgresql://u@h/db", null)]
    [InlineData("postgresql://h:5432/db", "postgresql://h:5432/db", "postgresql://h:5432/db", null)]
    [InlineData("sqlite:///a:b@c.db", "sqlite:///a:b@c.db", "sqlite:///a:b@c.db", null)]
    [InlineData("mysql://u:pw@h/db", "mysql://u:***@h/db", "mysql://u:pw@h/db", null)]
    // (an '@' in a database name is no password's end: the stored configuration of such a study no longer parsed)
    [InlineData("postgresql://postgres@host:5432/team@lab", "postgresql://postgres@host:5432/team@lab", "postgresql://postgres@host:5432/team@lab", null)]
    public void RedactAndSplitPasswordFindThePasswordInTheSamePlace(string url, string redacted, string withoutPassword, string? password)
    {
        // When a URL is redacted for display, and split for a Slurm job script (the password into PGPASSWORD)
        // Then both cut the same text out (one parser: they were two copies of it); only a PostgreSQL URL's password
        // is split off, while anything that looks like one is redacted
        Assert.Equal(redacted, StorageUrl.Redact(url));
        Assert.Equal((withoutPassword, password), StorageUrl.SplitPassword(url));
    }
    [Theory]
    [InlineData("postgresql://alice:sec/ret@127.0.0.1:5432/mnist", "sec/ret")]
    [InlineData("postgresql://bob:b@d:pw/x@127.0.0.1:5432/mnist2", "d:pw/x")]
    [InlineData("Host=127.0.0.1;Port=5432;Username=alice;Password=alicepw;Database=mnist", "alicepw")]
    [InlineData("Host=h; pwd = alicepw ;Database=mnist", "alicepw")]
    [InlineData("Host=h;Password=\"a;b-secret\";Database=mnist", "b-secret")]
    [InlineData("Host=h;PSW=alicepw", "alicepw")]
    [InlineData("postgresql://alice@127.0.0.1:5432/mnist?password=alicepw", "alicepw")]
    public void AStorageThatIsNoUrlIsRefusedWithoutItsPassword(string url, string secret)
    {
        // When a storage given with an unescaped '/' in its password, or as an Npgsql connection string, is refused
        var e = Assert.Throws<FormatException>(() => StorageUrl.Parse(url, "/base"));

        // Then the message shows it masked (it showed the password whole, or the part after an '@' in it)
        Assert.DoesNotContain(secret, e.Message);
        Assert.Contains(StorageUrl.Masked, e.Message);
    }
}
