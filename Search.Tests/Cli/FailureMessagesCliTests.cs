using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Xunit.Abstractions;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// Failures the user must act on are one line naming the file, without a stack trace (issue 11): a corrupt
/// database, a storage folder that cannot be written; and a study whose every trial failed does not exit 0.
/// </summary>
public sealed class FailureMessagesCliTests(ITestOutputHelper output)
{
    private static void AssertOneLineNaming(SearchCli.Result r, string path)
    {
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Contains(path, line);
    }

    [Fact]
    public async Task WhenStudyDbIsCorruptThenStartAndQueriesSayWhichFileAndLeaveNoLog()
    {
        // Given a study folder whose study.db is not a database
        using var dir = new TempDirectory("cli-corrupt");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        Directory.CreateDirectory(dir["studies/cli-study"]);
        await File.WriteAllTextAsync(dir["studies/cli-study/study.db"], string.Concat(Enumerable.Repeat("this is not a database. ", 200)));

        // When the study is started, and its trials listed
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        var list = await SearchCli.RunAsync(dir.Path, "trials", "list", "cli-study");

        // Then both exit 2 with one line naming the file, and no study.log was left
        Assert.Equal(2, start.ExitCode);
        AssertOneLineNaming(start, dir["studies/cli-study/study.db"]);
        Assert.Contains("corrupt or not a SQLite database", start.Stderr);
        Assert.Equal(2, list.ExitCode);
        AssertOneLineNaming(list, dir["studies/cli-study/study.db"]);
        Assert.False(File.Exists(dir["studies/cli-study/study.log"]));
    }

    [Fact]
    public async Task WhenTheStorageFolderCannotBeWrittenThenTheErrorNamesIt()
    {
        // Given a storage folder nobody may write: a read-only tmpfs (else a path under a regular file)
        using var dir = new TempDirectory("cli-unwritable");
        using var readOnly = SmallDisk.Create(1 << 20, readOnly: true);
        string folder;
        if (readOnly.IsMounted)
        {
            folder = readOnly.Path;
            output.WriteLine($"read-only tmpfs at {folder}");
        }
        else
        {
            await File.WriteAllTextAsync(dir["plain-file"], "");
            folder = dir["plain-file"];
            output.WriteLine("mount not permitted: storage folder under a regular file instead");
        }
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["storage"] = "sqlite:" + Path.Combine(folder, "study.db"));

        // When the study is started
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it exits 2 with one line naming the folder, and left no study.log behind
        Assert.Equal(2, start.ExitCode);
        AssertOneLineNaming(start, folder);
        Assert.False(File.Exists(dir["studies/cli-study/study.log"]));
    }

    [Fact]
    public async Task WhenEveryTrialFailsThenTheStudyExitsWithCode3()
    {
        // Given a worker that crashes on both trials
        using var dir = new TempDirectory("cli-all-failed");
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01,
            Behaviours = { [0] = FakeWorker.Behaviour.Crash, [1] = FakeWorker.Behaviour.Crash },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);

        // When the study runs
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it exits 3 saying all trials failed (and 0 is kept for a study with a result)
        Assert.Equal(3, start.ExitCode);
        Assert.Contains("All 2 trials failed", start.Stderr);
    }
}
