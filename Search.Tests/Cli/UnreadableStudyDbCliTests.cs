using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study.db the query commands cannot read (another Optuna revision, damaged rows, a folder the reader cannot
/// write, a lock held by another process) gives one line naming the file and no stack trace, and `study list`
/// skips it with a warning and still lists the other studies.
/// </summary>
public sealed class UnreadableStudyDbCliTests
{
    private static string OneErrorLine(SearchCli.Result r)
    {
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith("error: ", line);
        return line;
    }

    private static void AssertListsOnlyOtherSkipping(SearchCli.Result r, string skipped)
    {
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("other", (string)JsonNode.Parse(r.Stdout)!.AsArray().Single()!["study"]!);
        var warning = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith("warning: skipped ", warning);
        Assert.Contains(skipped, warning);
    }

    private static async Task ExecuteAsync(string file, string sql)
    {
        await using var c = new SqliteConnection($"Data Source={file};Pooling=false");
        await c.OpenAsync();
        await c.ExecuteAsync(sql);
    }

    [Fact]
    public async Task WhenAStudyDbIsAtAnotherOptunaRevisionThenQueriesRefuseItInOneLineAndListSkipsIt()
    {
        // Given two studies, one of them in a database an Optuna 3.0 client wrote
        using var dir = new TempDirectory("unreadable-revision");
        await QueryStudy.CreateAsync("sqlite:studies/real/study.db", dir.Path, name: "real");
        await QueryStudy.CreateAsync("sqlite:studies/other/study.db", dir.Path, name: "other");
        await ExecuteAsync(dir["studies/real/study.db"], "UPDATE alembic_version SET version_num = 'v3.0.0.d'");

        // When its status is asked, and the studies are listed
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "real");
        var list = await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json");

        // Then the status is refused as bad input in one line naming the file and both revisions (it was followed
        // by a stack trace, exit 1), and the list skips it and shows the other study (it showed none)
        Assert.True(status.ExitCode == 2, status.Stderr);
        var line = OneErrorLine(status);
        Assert.Contains(dir["studies/real/study.db"], line);
        Assert.Contains("v3.0.0.d", line);
        AssertListsOnlyOtherSkipping(list, dir["studies/real/study.db"]);
    }

    [Fact]
    public async Task WhenAStudyFolderNameCannotBeAStorageUrlThenListSkipsItAndListsTheOthers()
    {
        // Given two studies, one in a folder whose name holds a '?' (a storage URL's query)
        using var dir = new TempDirectory("unreadable-name");
        await QueryStudy.CreateAsync("sqlite:studies/other/study.db", dir.Path, name: "other");
        Directory.CreateDirectory(dir["studies/a?b"]);
        File.Copy(dir["studies/other/study.db"], dir["studies/a?b/study.db"]);

        // When the studies are listed
        var list = await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json");

        // Then the other study is listed and the folder named in a warning (the list exited 2 listing nothing); the
        // copy holds a study of the same name, so "other" would be listed twice were it read
        AssertListsOnlyOtherSkipping(list, dir["studies/a?b/study.db"]);
    }

    [Fact]
    public async Task WhenAStudyDbIsCorruptOnlyPastItsSchemaThenListSkipsItAndListsTheOthers()
    {
        // Given two studies, one whose trials table's root page is overwritten (it opens and its schema reads; its
        // trials do not)
        using var dir = new TempDirectory("unreadable-rows");
        await QueryStudy.CreateAsync("sqlite:studies/bad/study.db", dir.Path, name: "bad");
        await QueryStudy.CreateAsync("sqlite:studies/other/study.db", dir.Path, name: "other");
        await OverwriteRootPageAsync(dir["studies/bad/study.db"], "trials");

        // When the studies are listed as JSON and as a table
        var json = await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json");
        var table = await SearchCli.RunAsync(dir.Path, "study", "list");

        // Then both name the damaged file in a warning and list the other study (both exited 2 listing nothing)
        AssertListsOnlyOtherSkipping(json, dir["studies/bad/study.db"]);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("other", table.Stdout);
        Assert.Contains(dir["studies/bad/study.db"], Assert.Single(table.Stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task WhenAWalStudyDbIsInAFolderTheReaderCannotWriteThenTheReadCommandsStillReadIt()
    {
        // Given a study in WAL mode (as this tool writes it), closed (no -wal or -shm beside it), in a folder and file
        // the user running the commands cannot write (a colleague's or an archived study), and another study
        using var dir = new TempDirectory("unreadable-folder");
        await QueryStudy.CreateAsync("sqlite:studies/real/study.db", dir.Path, name: "real");
        await QueryStudy.CreateAsync("sqlite:studies/other/study.db", dir.Path, name: "other");
        var real = dir["studies/real"];
        Assert.Equal(new[] { "study.db", "study.db-reserve" }, Directory.GetFiles(real).Select(Path.GetFileName).Order().ToArray());
        Unprivileged.OpenToAll(dir.Path);
        Unprivileged.SetMode(Path.Combine(real, "study.db"), "444");
        Unprivileged.SetMode(real, "555");
        try
        {
            // When that user asks for its status, runs SQL on it, and lists the studies
            var status = await Unprivileged.RunAsync(dir.Path, "study", "status", "real", "--format", "json");
            var sql = await Unprivileged.RunAsync(dir.Path, "trials", "sql", "real", "SELECT COUNT(*) AS n FROM trials", "--format", "json");
            var list = await Unprivileged.RunAsync(dir.Path, "study", "list", "--format", "json");

            // Then each reads it (each printed "SQLite Error 8: attempt to write a readonly database" and a stack
            // trace, exit 1), and nothing was written beside it
            Assert.True(status.ExitCode == 0, status.Stderr);
            Assert.Equal(2, (int)JsonNode.Parse(status.Stdout)!["counts"]!["complete"]!);
            Assert.True(sql.ExitCode == 0, sql.Stderr);
            Assert.Contains("2", sql.Stdout);
            Assert.True(list.ExitCode == 0, list.Stderr);
            Assert.Equal(new[] { "other", "real" }, JsonNode.Parse(list.Stdout)!.AsArray().Select(r => (string)r!["study"]!).Order().ToArray());
            Assert.Equal(new[] { "study.db", "study.db-reserve" }, Directory.GetFiles(real).Select(Path.GetFileName).Order().ToArray());
        }
        finally
        {
            Unprivileged.SetMode(real, "755");
        }
    }

    [Fact]
    public async Task WhenAWalStudyDbWithItsWalFileIsInAFolderTheReaderCannotWriteThenQueriesSayWhyAndListSkipsIt()
    {
        // Given a study copied with its -wal file (committed pages not yet in the main file) into a folder the user
        // cannot write, so SQLite can neither make the -shm file nor skip the -wal, and another study
        using var dir = new TempDirectory("unreadable-wal");
        await QueryStudy.CreateAsync("sqlite:studies/live/study.db", dir.Path, name: "real");
        await QueryStudy.CreateAsync("sqlite:studies/other/study.db", dir.Path, name: "other");
        var real = dir["studies/real"];
        Directory.CreateDirectory(real);
        await using (var c = new SqliteConnection($"Data Source={dir["studies/live/study.db"]};Pooling=false"))
        {
            await c.OpenAsync();
            await c.ExecuteAsync("PRAGMA wal_autocheckpoint = 0; UPDATE studies SET study_name = study_name");
            File.Copy(dir["studies/live/study.db"], Path.Combine(real, "study.db"));
            File.Copy(dir["studies/live/study.db-wal"], Path.Combine(real, "study.db-wal"));
        }
        Directory.Delete(dir["studies/live"], recursive: true);
        Unprivileged.OpenToAll(dir.Path);
        Unprivileged.SetMode(real, "555");
        try
        {
            // When that user asks for its status, and lists the studies
            var status = await Unprivileged.RunAsync(dir.Path, "study", "status", "real");
            var list = await Unprivileged.RunAsync(dir.Path, "study", "list", "--format", "json");

            // Then the status is one line naming the file and the folder it would need to write (it said only
            // "cannot open the database file"), and the list skips it and shows the other study
            Assert.True(status.ExitCode == 2, status.Stderr);
            var line = OneErrorLine(status);
            Assert.Contains(Path.Combine(real, "study.db"), line);
            Assert.Contains($"write its folder {real}", line);
            AssertListsOnlyOtherSkipping(list, Path.Combine(real, "study.db"));
        }
        finally
        {
            Unprivileged.SetMode(real, "755");
        }
    }

    [Fact]
    public async Task WhenAStudyDbIsLockedByAnotherProcessThenReadersAndWritersSaySoWhileWaitingAndEndInOneLine()
    {
        // Given two studies, one locked against readers (an exclusive lock, as a `sqlite3` shell in exclusive mode
        // takes) and one against writers (a transaction that has written and not committed), and waits shortened
        // from 5 s and 10 x 30 s to 1 s and 10 x 1 s
        using var dir = new TempDirectory("unreadable-locked");
        await QueryStudy.CreateAsync("sqlite:studies/read/study.db", dir.Path, name: "read");
        await QueryStudy.CreateAsync("sqlite:studies/write/study.db", dir.Path, name: "write");
        var wait = new Dictionary<string, string> { ["MNIST_SEARCH_SQLITE_BUSY_SECONDS"] = "1", ["MNIST_SEARCH_LOCK_NOTICE_SECONDS"] = "1" };
        await using var readLock = await HoldLockAsync(dir["studies/read/study.db"], "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE");
        await using var writeLock = await HoldLockAsync(dir["studies/write/study.db"], "BEGIN IMMEDIATE");

        // When one study's status is asked and a trial is queued in the other
        var results = await Task.WhenAll(
            SearchCli.RunAsync(dir.Path, wait, "study", "status", "read"),
            SearchCli.RunAsync(dir.Path, wait, "study", "enqueue", "write", "--param", "dropout=0.1"));

        // Then each says after a second that it waits for that file, and ends with one line naming it, exit 75, "try again later" (each
        // was silent for the whole wait, then printed "SQLite Error 5: 'database is locked'" and a stack trace)
        foreach (var (r, db) in results.Zip(new[] { dir["studies/read/study.db"], dir["studies/write/study.db"] }))
        {
            Assert.True(r.ExitCode == 75, $"exit {r.ExitCode}: {r.Stderr}");
            var lines = r.Stderr.Trim().Split('\n');
            Assert.True(lines.Length == 2, r.Stderr);
            Assert.StartsWith($"warning: waiting for sqlite:///{db}: locked by another process", lines[0]);
            Assert.StartsWith($"error: storage sqlite:///{db}: locked by another process", lines[1]);
        }
    }

    // Holds the lock the statements take (they write nothing: the UPDATE changes no value) until disposed.
    private static async Task<SqliteConnection> HoldLockAsync(string file, string begin)
    {
        var c = new SqliteConnection($"Data Source={file};Pooling=false");
        await c.OpenAsync();
        await c.ExecuteAsync($"{begin}; UPDATE studies SET study_name = study_name");
        return c;
    }

    private static async Task OverwriteRootPageAsync(string file, string table)
    {
        long root, pageSize;
        await using (var c = new SqliteConnection($"Data Source={file};Pooling=false"))
        {
            await c.OpenAsync();
            root = await c.ExecuteScalarAsync<long>("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = @table", new { table });
            pageSize = await c.ExecuteScalarAsync<long>("PRAGMA page_size");
        }
        await using var f = new FileStream(file, FileMode.Open, FileAccess.Write);
        f.Seek((root - 1) * pageSize, SeekOrigin.Begin);
        await f.WriteAsync(Enumerable.Repeat((byte)0xFF, (int)pageSize).ToArray());
    }
}
