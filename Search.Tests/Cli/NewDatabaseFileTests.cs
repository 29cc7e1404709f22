using Mnist.Search.Cli;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The database file a refused or interrupted `study start`/`study create` made is removed again, but never one another
/// process has put its study in: of two commands started together on one new file, the refused one removed the
/// database the other had just made its study in (it took "not there when I looked" for "mine").
/// </summary>
public sealed class NewDatabaseFileTests
{
    [Fact]
    public async Task AFileOnlyThisCommandMadeIsRemovedAndOneHoldingAnotherCommandsStudyIsKept()
    {
        using var dir = new TempDirectory("new-db-file");
        var url = "sqlite:" + dir["a/study.db"];

        // Given this command made the file (exclusively: a second look finds it there, and owns nothing)
        var mine = NewDatabaseFile.Before(url, dir.Path);
        Assert.True(mine.IsNew);
        Assert.False(NewDatabaseFile.Before(url, dir.Path).IsNew);

        // When another process makes its study in it before this command is refused
        await using (var other = await StorageFactory.OpenAsync(url, dir.Path))
            await other.CreateStudyAsync("theirs", StudyDirection.MAXIMIZE);
        mine.Remove();

        // Then the file stays, with that study
        await using (var reread = await StorageFactory.OpenReadOnlyAsync(url, dir.Path))
            Assert.NotNull(await reread.GetStudyAsync("theirs"));

        // And a file this command made and nobody used (the schema only, as an interrupted start leaves it) goes, with its folder
        var url2 = "sqlite:" + dir["b/study.db"];
        var second = NewDatabaseFile.Before(url2, dir.Path);
        await (await StorageFactory.OpenAsync(url2, dir.Path)).DisposeAsync();
        second.Remove();
        Assert.False(Directory.Exists(dir["b"]));

        // And the study this command made goes with its file while it has no trial
        var url3 = "sqlite:" + dir["c/study.db"];
        var third = NewDatabaseFile.Before(url3, dir.Path);
        await using (var own = await StorageFactory.OpenAsync(url3, dir.Path))
            await own.CreateStudyAsync("mine", StudyDirection.MAXIMIZE);
        third.Remove(madeTheStudy: true);
        Assert.False(File.Exists(dir["c/study.db"]));
    }
    [Fact]
    public async Task AFileAnotherProcessHasOpenIsKeptThoughItHoldsNoStudyYet()
    {
        // Given a file this command made, which another process has opened and is making its schema in (WAL: a reader sees
        // no table and no lock while that transaction is open)
        using var dir = new TempDirectory("new-db-file-open");
        var url = "sqlite:" + dir["a/study.db"];
        var mine = NewDatabaseFile.Before(url, dir.Path);
        await using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={dir["a/study.db"]};Pooling=False");
        await other.OpenAsync();
        await using (var wal = other.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL; BEGIN IMMEDIATE; CREATE TABLE studies (study_id INTEGER PRIMARY KEY);";
            await wal.ExecuteNonQueryAsync();
        }

        // When this command is refused
        mine.Remove();

        // Then the file stays (it was deleted under the other process)
        Assert.True(File.Exists(dir["a/study.db"]));
        await using var commit = other.CreateCommand();
        commit.CommandText = "COMMIT";
        await commit.ExecuteNonQueryAsync();
    }
}
