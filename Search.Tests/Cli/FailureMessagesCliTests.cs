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
    [Fact]
    public async Task AWorkerThatKeepsFailingStopsTheStudyAfterMaxConsecutiveFailuresAndAFixedOneFinishesTheBudget()
    {
        // Given a worker that crashes on the first three trials of eight, and a study that stops after 3 failures in a row
        using var dir = new TempDirectory("cli-streak");
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01,
            Behaviours = { [0] = FakeWorker.Behaviour.Crash, [1] = FakeWorker.Behaviour.Crash, [2] = FakeWorker.Behaviour.Crash },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 8, tweak: c => c["budget"]!["max_consecutive_failures"] = 3);

        // When the study starts
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it stops after those three, exit 3 (no trial completed), one error line naming the setting and the last reason;
        // the other five trials were never run
        Assert.Equal(3, start.ExitCode);
        var error = Assert.Single(start.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:"));
        Assert.Contains("3 trials in a row failed (budget.max_consecutive_failures: 3)", error);
        Assert.Contains("the last, trial 2: worker exited with code 7", error);
        Assert.Contains("(3/8 used)", error);
        var list = await SearchCli.RunAsync(dir.Path, "trials", "list", "cli-study", "--format", "json");
        Assert.Equal(3, System.Text.Json.Nodes.JsonNode.Parse(list.Stdout)!.AsArray().Count);

        // And, the worker fixed (trials 3.. run normally), the same command runs the budget's other five
        var again = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.Equal(0, again.ExitCode);
        list = await SearchCli.RunAsync(dir.Path, "trials", "list", "cli-study", "--format", "json");
        Assert.Equal(8, System.Text.Json.Nodes.JsonNode.Parse(list.Stdout)!.AsArray().Count);
    }

    [Fact]
    public async Task AStudyStoppedByFailuresAfterACompleteTrialExitsWithCode1()
    {
        // Given a study whose first trial completes and whose next two crash, stopping after 2 failures in a row
        using var dir = new TempDirectory("cli-streak-after-result");
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01,
            Behaviours = { [1] = FakeWorker.Behaviour.Crash, [2] = FakeWorker.Behaviour.Crash },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 5, tweak: c => c["budget"]!["max_consecutive_failures"] = 2);

        // When the study starts
        var start = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it stops with exit 1 (a failed run; the study has a result, from trial 0), not 3, and not 0 with a retrain
        Assert.Equal(1, start.ExitCode);
        Assert.Contains("2 trials in a row failed", start.Stderr);
        Assert.DoesNotContain("   at ", start.Stderr);
    }
}
