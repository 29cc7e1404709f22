using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A copy of a study's folder, resumed with <c>--studies-dir</c>, must not write into the original study's folder: the
/// copy's database carries the same folder id, and <c>study resume</c> writes beside the original configuration, so the
/// copy's trials went into the original's <c>trials/</c> and its log into the original's <c>study.log</c>.
/// </summary>
public sealed class CopiedStudyResumeCliTests
{
    [Fact]
    public async Task ResumingACopyIsRefusedWithoutTouchingTheOriginalFolderWhileTheCopyStillRetrainsInItsOwn()
    {
        // Given a study of two trials and a copy of its folder in archive/
        using var dir = new TempDirectory("cli-copied-resume");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var run = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var original = dir["studies/cli-study"];
        Copy(original, dir["archive/cli-study"]);
        var before = Snapshot(original);

        // When the copy is resumed from the same folder, then retrained
        var resumed = await SearchCli.RunAsync(dir.Path, "study", "resume", "cli-study", "--studies-dir", "archive", "--no-retrain");
        var retrained = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study", "--studies-dir", "archive");

        // Then the resume is refused in one line naming both storages, and the original folder is as it was; the copy's
        // retrain (which writes into its own folder) is not refused
        Assert.True(resumed.ExitCode == 2, resumed.Stdout + resumed.Stderr);
        var line = Assert.Single(resumed.Stderr.Trim().Split('\n'));
        Assert.Contains($"holds the files of study 'cli-study' in sqlite:///{original}/study.db, of which study 'cli-study' in sqlite:///{dir["archive/cli-study/study.db"]} is a copy", line);
        Assert.Equal(before, Snapshot(original));
        Assert.True(retrained.ExitCode == 0, retrained.Stderr);
        Assert.True(Directory.Exists(dir["archive/cli-study/best"]));
        Assert.False(Directory.Exists(Path.Combine(original, "best")));
    }

    [Fact]
    public async Task AProjectCopiedWholeOrReachedThroughALinkRunsInItsOwnFolder()
    {
        // Given a project whose study database lies beside search.json, outside the study folder (Optuna's one-file
        // layout), run once; then the project copied whole, and a link to the original project
        using var dir = new TempDirectory("cli-copied-project");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        Directory.CreateDirectory(dir["proj"]);
        var config = StudyFiles.WriteConfig(dir["proj"], worker, trials: 1, tweak: c => c["storage"] = "sqlite:optuna.db");
        var first = await SearchCli.RunAsync(dir["proj"], "study", "start", config, "--no-retrain");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Copy(dir["proj"], dir["proj2"]);
        File.CreateSymbolicLink(dir["link"], dir["proj"]);

        // When each gets one more trial, from its own configuration file
        foreach (var project in new[] { "proj2", "link" })
        {
            var search = Path.Combine(dir[project], "search.json");
            File.WriteAllText(search, File.ReadAllText(search).Replace("\"trials\":1", "\"trials\":2", StringComparison.Ordinal));
        }
        var copy = await SearchCli.RunAsync(dir["proj2"], "study", "start", Path.Combine(dir["proj2"], "search.json"), "--no-retrain");
        var linked = await SearchCli.RunAsync(dir["link"], "study", "start", Path.Combine(dir["link"], "search.json"), "--no-retrain");

        // Then neither is taken for a copy of the other's database (both were refused): the copy writes in its own
        // folder, the link in the original's, which is its own
        Assert.True(copy.ExitCode == 0, copy.Stderr);
        Assert.True(Directory.Exists(dir["proj2/studies/cli-study/trials/1"]));
        Assert.True(linked.ExitCode == 0, linked.Stderr);
        Assert.True(Directory.Exists(dir["proj/studies/cli-study/trials/1"]));
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.EnumerateDirectories(from)) Copy(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    // Every file under the folder with its length and last write time.
    // SQLite's shared-memory index (-shm) and an empty write-ahead log are left out: the copy check reads the original
    // database to see whether it still holds the study, and any reader of a WAL database makes them; the database, a log
    // with writes in it, study.log and the trials are compared.
    private static string Snapshot(string folder) => string.Join("\n", Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order()
        .Where(f => !f.EndsWith("-shm", StringComparison.Ordinal) && !(f.EndsWith("-wal", StringComparison.Ordinal) && new FileInfo(f).Length == 0))
        .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}"));
}
