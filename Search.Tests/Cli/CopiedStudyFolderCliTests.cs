using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// optuna.copy_study (a SQLite → PostgreSQL migration) carries the study's folder id, so the copy was accepted in the
/// original's studies/NAME/ and the two overwrote each other's checkpoints (audit-optuna 4). The copy is refused while the
/// original storage still holds the study, and takes the folder over once the original is deleted.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait(Needs.Name, Needs.PostgreSql)]
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class CopiedStudyFolderCliTests(PostgresServerFixture postgres)
{
    [Fact]
    public async Task ACopyInAnotherStorageIsRefusedTheOriginalsFolderUntilTheOriginalIsDeleted()
    {
        // Given a study run on SQLite (its folder marked for it), and Optuna's copy of it in a PostgreSQL database
        using var dir = new TempDirectory("cli-copied-folder");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        var first = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var pg = await postgres.CreateDatabaseAsync();
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.copy_study(from_study_name="cli-study", from_storage=sys.argv[1], to_storage=sys.argv[2])
            """, $"sqlite:///{dir["studies/cli-study/study.db"]}", pg);
        var more = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);

        // When the copy is started in the same folder
        var refused = await SearchCli.RunAsync(dir.Path, "study", "start", more, "--storage", pg, "--no-retrain");

        // Then it is refused in one line naming both storages and --studies-dir, exit 2, and ran no trial
        Assert.True(refused.ExitCode == 2, refused.Stdout + refused.Stderr);
        var line = Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("is a copy", line);
        Assert.Contains("--studies-dir", line);
        Assert.Contains(pg.Split('@')[1], line);
        Assert.Contains("study.db", line);
        Assert.False(Directory.Exists(dir["studies/cli-study/trials/1"]));

        // When the original is deleted from SQLite, and the copy started again
        var deleted = await SearchCli.RunAsync(dir.Path, "study", "delete", "cli-study");
        Assert.True(deleted.ExitCode == 0, deleted.Stdout + deleted.Stderr);
        var moved = await SearchCli.RunAsync(dir.Path, "study", "start", more, "--storage", pg, "--no-retrain");

        // Then the copy takes the folder over: it runs its trial there, and the marker names its storage
        Assert.True(moved.ExitCode == 0, moved.Stdout + moved.Stderr);
        Assert.True(Directory.Exists(dir["studies/cli-study/trials/1"]));
        Assert.Contains(pg.Split('@')[1], (string)JsonNode.Parse(File.ReadAllText(dir["studies/cli-study/.study-id"]))!["storage"]!);
    }

    [Fact]
    public async Task AFolderClaimedThroughAPostgresUrlThatCannotBeReadFromHereIsTakenForTheSameDatabase()
    {
        // Given a PostgreSQL study run in its folder, whose marker then names the database by a URL this process cannot
        // reach (another host name, a role that needs a password: here a closed port)
        using var dir = new TempDirectory("cli-copied-folder-unreadable");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var pg = await postgres.CreateDatabaseAsync();
        var first = await SearchCli.RunAsync(dir.Path, "study", "start", StudyFiles.WriteConfig(dir.Path, worker, trials: 1), "--storage", pg, "--no-retrain");
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var marker = JsonNode.Parse(File.ReadAllText(dir["studies/cli-study/.study-id"]))!.AsObject();
        marker["storage"] = "postgresql://someone:***@127.0.0.1:1/elsewhere";
        File.WriteAllText(dir["studies/cli-study/.study-id"], marker.ToJsonString());

        // When the study is run on
        var again = await SearchCli.RunAsync(dir.Path, "study", "start", StudyFiles.WriteConfig(dir.Path, worker, trials: 2), "--storage", pg, "--no-retrain");

        // Then it runs (it was refused, exit 2: the masked password of a marker, or another host name, failed the login),
        // saying once that the marker's URL could not be read
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);
        Assert.Contains("which cannot be read from here", again.Stderr);
        Assert.True(Directory.Exists(dir["studies/cli-study/trials/1"]));
    }
}
