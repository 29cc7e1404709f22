using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A refused <c>study retrain</c> writes nothing: it opened the storage for writing (WAL, a reserve file) and claimed the
/// study folder (created it, marked it, gave the study a folder id) before it refused, and a later <c>study start</c> of
/// that name was then refused for a folder it never had.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class RefusedRetrainCliTests
{
    [Theory]
    [InlineData("onlyfail", 3, "error: study 'onlyfail' has no COMPLETE trial to retrain")]
    [InlineData("noconfig", 2, "error: study 'noconfig' has no stored configuration")]
    public async Task ARetrainRefusedOnAStudyOptunaMadeLeavesItsDatabaseAndFoldersAsTheyWere(string study, int exitCode, string expected)
    {
        // Given an Optuna database (rollback journal) with a study of one FAIL trial and one of a COMPLETE trial, neither
        // with this tool's configuration
        using var dir = new TempDirectory("cli-retrain-refused");
        var db = dir["optuna.db"];
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            s = optuna.create_study(study_name="onlyfail", storage=sys.argv[1], direction="maximize")
            t = s.ask(); t.suggest_float("x", 0, 1); s.tell(t, state=optuna.trial.TrialState.FAIL)
            s = optuna.create_study(study_name="noconfig", storage=sys.argv[1], direction="maximize")
            t = s.ask(); t.suggest_float("x", 0, 1); s.tell(t, 0.5)
            """, $"sqlite:///{db}");

        // When it is retrained
        var r = await SearchCli.RunAsync(dir.Path, "study", "retrain", study, "--storage", "sqlite:" + db);

        // Then it is refused in one line, and nothing is written: no study folder, no study attribute, the journal mode
        // unchanged, no reserve file
        Assert.True(r.ExitCode == exitCode, r.Stderr);
        Assert.Equal(expected, r.Stderr.Trim());
        Assert.False(Directory.Exists(dir["studies"]));
        Assert.Equal(("delete", 0, 0), await JournalAndAttributesAsync(db));
        Assert.Equal(["optuna.db"], Directory.EnumerateFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task AClaimRefusedForAFolderOfAnotherStorageGivesTheStudyNoFolderId()
    {
        // Given a searched study without a folder id (made before ids) whose folder is marked as another storage's study
        using var dir = new TempDirectory("cli-retrain-refused-folder");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 1);
        var searched = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(searched.ExitCode == 0, searched.Stderr);
        var db = dir["studies/cli-study/study.db"];
        await using (var c = new SqliteConnection($"Data Source={db};Pooling=false"))
            await c.ExecuteAsync("DELETE FROM study_system_attributes WHERE key = 'mnist_search:folder_id'");
        File.WriteAllText(dir["studies/cli-study/.study-id"], """{"id":"0123","study":"cli-study","storage":"sqlite:////elsewhere/study.db"}""");

        // When it is retrained, then resumed
        var retrained = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study");
        var resumed = await SearchCli.RunAsync(dir.Path, "study", "resume", "cli-study", "--no-retrain");

        // Then both are refused in one line naming the other storage, and the study is given no folder id: the claim
        // wrote one before it refused
        foreach (var r in new[] { retrained, resumed })
        {
            Assert.True(r.ExitCode == 2, r.Stderr);
            Assert.Contains("belongs to study 'cli-study' in sqlite:////elsewhere/study.db", Assert.Single(r.Stderr.Trim().Split('\n')));
        }
        Assert.Equal(0, (await JournalAndAttributesAsync(db)).FolderIds);
    }

    // The journal mode, how many study system attributes the database holds, and how many of them are folder ids.
    private static async Task<(string Journal, int Attributes, int FolderIds)> JournalAndAttributesAsync(string db)
    {
        await using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        await c.OpenAsync();
        return (await c.ExecuteScalarAsync<string>("PRAGMA journal_mode") ?? "",
            await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM study_system_attributes"),
            await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM study_system_attributes WHERE key = 'mnist_search:folder_id'"));
    }
}
