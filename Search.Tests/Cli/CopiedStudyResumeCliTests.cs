using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A copy of a study's folder must not write into the original study's folder: the copy's database carries the same
/// folder id, and <c>study resume</c> without <c>--studies-dir</c> writes beside the original configuration, so the copy's
/// trials went into the original's <c>trials/</c> and its log into the original's <c>study.log</c>. With
/// <c>--studies-dir</c> it writes there, in the copy's own folder.
/// </summary>
public sealed class CopiedStudyResumeCliTests
{
    [Fact]
    public async Task ResumingACopyWithItsStorageOnlyIsRefusedWithARemedyThatWorksWithoutTouchingTheOriginalFolder()
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

        // When the copy is resumed by its storage alone (it writes beside the original configuration), then as the
        // refusal says, with --studies-dir, then retrained
        var refused = await SearchCli.RunAsync(dir.Path, "study", "resume", "cli-study", "--storage", "sqlite:archive/cli-study/study.db", "--no-retrain");
        var resumed = await SearchCli.RunAsync(dir.Path, "study", "resume", "cli-study", "--studies-dir", "archive", "--no-retrain");
        var retrained = await SearchCli.RunAsync(dir.Path, "study", "retrain", "cli-study", "--studies-dir", "archive");

        // Then the first is refused in one line naming both storages and --studies-dir; the second runs in the copy's own
        // folder (it wrote beside the original configuration, and was refused although --studies-dir was given); the
        // original folder is as it was, and the copy's retrain writes into its own
        Assert.True(refused.ExitCode == 2, refused.Stdout + refused.Stderr);
        var line = Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.Contains($"holds the files of study 'cli-study' in sqlite:///{original}/study.db, of which study 'cli-study' in sqlite:///{dir["archive/cli-study/study.db"]} is a copy", line);
        Assert.Contains("--studies-dir DIR", line);
        Assert.True(resumed.ExitCode == 0, resumed.Stdout + resumed.Stderr);
        Assert.Contains("resumed", File.ReadAllText(dir["archive/cli-study/study.log"]));
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
