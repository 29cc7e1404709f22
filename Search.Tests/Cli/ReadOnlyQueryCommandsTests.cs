using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Npgsql;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The query commands open storage read-only (issue 11): they never create folders, files or tables, never
/// switch SQLite to WAL, and a storage that is missing or not an Optuna database gives one line and exit 2.
/// </summary>
[Trait(Needs.Name, Needs.PostgreSql)]
[Collection(PostgresCollection.Name)]
public sealed class ReadOnlyQueryCommandsTests(PostgresServerFixture postgres)
{
    private static readonly string[][] Queries =
    [
        ["trials", "list", "q"], ["trials", "show", "q", "0"], ["trials", "sql", "q", "SELECT 1"],
        ["study", "status", "q"], ["study", "best", "q"], ["study", "list"], ["study", "report", "q", "--out", "report"],
    ];

    [Fact]
    public async Task WhenTheSqliteFileIsMissingThenNoFolderOrFileIsCreated()
    {
        // Given an empty folder
        using var dir = new TempDirectory("ro-missing");

        // When every query command is pointed at a database in folders that do not exist
        foreach (var q in Queries)
        {
            var r = await SearchCli.RunAsync(dir.Path, [.. q, "--storage", "sqlite:missing/dir/x.db"]);

            // Then each exits 2 with one line naming the file, and nothing was created
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', q)}: exit {r.ExitCode} {r.Stderr}");
            Assert.Contains(dir["missing/dir/x.db"], Assert.Single(r.Stderr.Trim().Split('\n')));
            Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        }
    }

    [Fact]
    public async Task WhenTheSqliteFileIsAnotherApplicationsDatabaseThenItIsLeftByteForByte()
    {
        // Given an unrelated SQLite database in rollback-journal mode
        using var dir = new TempDirectory("ro-foreign");
        await using (var c = new SqliteConnection($"Data Source={dir["app.db"]};Pooling=false"))
        {
            await c.OpenAsync();
            await c.ExecuteAsync("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
        }
        var before = SHA256.HashData(await File.ReadAllBytesAsync(dir["app.db"]));

        // When every query command reads it as a study storage
        foreach (var q in Queries)
        {
            var r = await SearchCli.RunAsync(dir.Path, [.. q, "--storage", "sqlite:app.db"]);

            // Then each says it is not an Optuna database (exit 2), and the file is unchanged and not in WAL mode
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', q)}: exit {r.ExitCode} {r.Stderr}");
            Assert.Contains("not an Optuna study database", Assert.Single(r.Stderr.Trim().Split('\n')));
        }
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(dir["app.db"])));
        Assert.Equal(new[] { "app.db" }, Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).ToArray());
        await using var check = new SqliteConnection($"Data Source={dir["app.db"]};Pooling=false");
        await check.OpenAsync();
        Assert.Equal("delete", await check.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task WhenThePostgresDatabaseHasNoStudyTablesThenNoneAreCreated()
    {
        // Given an empty PostgreSQL database
        var url = await postgres.CreateDatabaseAsync();
        using var dir = new TempDirectory("ro-pg");

        // When every query command reads it
        foreach (var q in Queries)
        {
            var r = await SearchCli.RunAsync(dir.Path, [.. q, "--storage", url]);

            // Then each exits 2 with one line, and the database still has no table
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', q)}: exit {r.ExitCode} {r.Stderr}");
            Assert.Contains("not an Optuna study database", Assert.Single(r.Stderr.Trim().Split('\n')));
        }
        var target = Mnist.Search.Storage.StorageUrl.Parse(url, "/").Target;
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target) { Pooling = false }.ConnectionString);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"));
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_type WHERE typname = 'trialstate'"));
    }

    [Fact]
    public async Task WhenAStudyIsQueriedThenItsDatabaseFileIsNotWritten()
    {
        // Given a study in a SQLite file, closed, in rollback-journal mode and without its disk reserve (as an Optuna
        // client leaves one)
        using var dir = new TempDirectory("ro-study");
        await QueryStudy.CreateAsync("sqlite:s.db", dir.Path);
        File.Delete(dir["s.db" + Mnist.Search.Storage.DiskReserve.Suffix]);
        await using (var c = new SqliteConnection($"Data Source={dir["s.db"]};Pooling=false"))
        {
            await c.OpenAsync();
            await c.ExecuteAsync("PRAGMA journal_mode=DELETE");
        }
        var before = SHA256.HashData(await File.ReadAllBytesAsync(dir["s.db"]));

        // When the read commands run on it
        foreach (var q in Queries)
        {
            var r = await SearchCli.RunAsync(dir.Path, [.. q, "--storage", "sqlite:s.db"]);
            Assert.True(r.ExitCode == 0, $"{string.Join(' ', q)}: exit {r.ExitCode} {r.Stderr}");
        }

        // Then the database file is byte-for-byte the same, still not in WAL mode, and nothing was added beside it
        // (`study status` opened it for writing: it made the disk reserve and switched the file to WAL)
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(dir["s.db"])));
        Assert.Equal(new[] { "s.db" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray());
        await using var check = new SqliteConnection($"Data Source={dir["s.db"]};Pooling=false");
        await check.OpenAsync();
        Assert.Equal("delete", await check.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task WhenOneStudyDatabaseBelowTheFolderIsBrokenThenTheOthersAreStillListed()
    {
        // Given a good study and, beside it, a study.db that is no database and an empty one
        using var dir = new TempDirectory("list-broken");
        await QueryStudy.CreateAsync("sqlite:studies/good/study.db", dir.Path);
        Directory.CreateDirectory(dir["studies/bad"]);
        File.WriteAllText(dir["studies/bad/study.db"], "x");
        Directory.CreateDirectory(dir["studies/empty"]);
        File.WriteAllText(dir["studies/empty/study.db"], "");

        // When the studies are listed
        var r = await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json");

        // Then the good one is listed and each broken file named on stderr (the whole list failed, exit 2)
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("q", (string)System.Text.Json.Nodes.JsonNode.Parse(r.Stdout)!.AsArray().Single()!["study"]!);
        Assert.Contains(dir["studies/bad/study.db"], r.Stderr);
        Assert.Contains(dir["studies/empty/study.db"], r.Stderr);
    }

    private static readonly string[][] WritesToAStudy =
    [
        ["study", "resume", "q"], ["study", "worker", "q"], ["study", "enqueue", "q", "--param", "dropout=0.1"],
        ["study", "retrain", "q"], ["study", "submit", "q", "--slurm", "--dry-run"],
    ];

    [Fact]
    public async Task WhenACommandThatWritesToAStudyIsPointedAtNoStudyThenNothingIsCreated()
    {
        // Given an empty folder and an empty PostgreSQL database
        using var dir = new TempDirectory("rw-missing");
        var url = await postgres.CreateDatabaseAsync();

        foreach (var command in WritesToAStudy)
        {
            // When a command that writes to an existing study is given a mistyped SQLite path, or the empty database
            var sqlite = await SearchCli.RunAsync(dir.Path, [.. command, "--storage", "sqlite:typo/q.db"]);
            var pg = await SearchCli.RunAsync(dir.Path, [.. command, "--storage", url]);

            // Then each exits 2 with one line, and no file, folder or table was created (each left an empty
            // database and its disk reserve, and would have made Optuna's tables)
            foreach (var r in new[] { sqlite, pg })
            {
                Assert.True(r.ExitCode == 2, $"{string.Join(' ', command)}: exit {r.ExitCode} {r.Stderr}");
                Assert.Single(r.Stderr.Trim().Split('\n'));
            }
            Assert.Contains(dir["typo/q.db"], sqlite.Stderr);
            Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        }
        var target = Mnist.Search.Storage.StorageUrl.Parse(url, "/").Target;
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target) { Pooling = false }.ConnectionString);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"));
    }
}
