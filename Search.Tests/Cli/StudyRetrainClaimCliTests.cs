using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// <c>study retrain</c> retrains under the claim <c>study start</c> takes for its own retrain: a second retrain of the
/// study is refused while it runs, and so is <c>study delete</c> (with --force it deletes the study and the retrain
/// ends in one line). It took no claim: neither was refused, and the deleted study's retrain ran on for minutes.
/// </summary>
public sealed class StudyRetrainClaimCliTests
{
    [Fact]
    public async Task WhileStudyRetrainRunsASecondRetrainAndADeleteAreRefusedAndForceEndsItInOneLine()
    {
        // Given a searched study of one trial, not retrained, whose retrain takes 5 minutes, being retrained by
        // `study retrain` (its claim renewed every second)
        using var dir = new TempDirectory("cli-study-retrain-claim");
        var worker = new FakeWorker { Directory = dir["worker"], RetrainSeconds = 300 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        var searched = await SearchCli.RunAsync(dir.Path, ["study", "start", config, "--no-retrain"]);
        Assert.True(searched.ExitCode == 0, searched.Stderr);
        var renewals = new Dictionary<string, string> { ["MNIST_SEARCH_RETRAIN_RENEW_SECONDS"] = "1" };
        using var retrain = SearchCli.Start(dir.Path, renewals, "study", "retrain", "cli-study");
        var (stdout, stderr) = (retrain.StandardOutput.ReadToEndAsync(), retrain.StandardError.ReadToEndAsync());
        await worker.UntilRetrainStartedAsync(retrain, stderr);

        // When a second `study retrain` and `study delete` are run, then `study delete --force`
        var second = await SearchCli.RunAsync(dir.Path, ["study", "retrain", "cli-study"]);
        var refused = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study"]);
        var deleted = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study", "--force"]);
        bool ended = DeletedWhileRetraining.Ended(retrain);

        // Then the second retrain and the delete are refused in one line naming the retraining process (only one
        // retrain was started); the forced delete deletes it, and the retrain stops at its claim's next renewal, its
        // worker with it, and ends in one line
        var db = dir["studies/cli-study/study.db"];
        Assert.Equal(75, second.ExitCode);
        Assert.Equal($"error: study 'cli-study' in sqlite:///{db}: trial 0 is being retrained by {Environment.MachineName} pid {retrain.Id}; wait for it to end",
            second.Stderr.Trim());
        Assert.Single(File.ReadAllLines(worker.RetrainsLogPath), l => l.EndsWith(" start", StringComparison.Ordinal));
        Assert.Equal(75, refused.ExitCode);
        Assert.Equal($"error: study 'cli-study' is being retrained in sqlite:///{db} (trial 0 by {Environment.MachineName} pid {retrain.Id}): " +
            "wait for it to end, or pass --force to delete it anyway (that process then ends)", refused.Stderr.Trim());
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        await DeletedWhileRetraining.AssertEndedInOneLineAsync(retrain, ended, stdout, stderr, worker, db);
    }

    [Fact]
    public async Task ARetrainThatEndsAfterItsStudyWasDeletedLeavesNoModel()
    {
        // Given a searched study being retrained by `study retrain` until the test lets it end, its claim renewed every
        // 30 s (the default): no renewal falls within the retrain, so no renewal sees the delete
        using var dir = new TempDirectory("cli-study-retrain-deleted");
        var worker = new FakeWorker { Directory = dir["worker"], RetrainSeconds = 0, RetrainUntil = dir["go"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        var searched = await SearchCli.RunAsync(dir.Path, ["study", "start", config, "--no-retrain"]);
        Assert.True(searched.ExitCode == 0, searched.Stderr);
        using var retrain = SearchCli.Start(dir.Path, "study", "retrain", "cli-study");
        var (stdout, stderr) = (retrain.StandardOutput.ReadToEndAsync(), retrain.StandardError.ReadToEndAsync());
        await worker.UntilRetrainStartedAsync(retrain, stderr);

        // When the study is deleted while it retrains
        var deleted = await SearchCli.RunAsync(dir.Path, ["study", "delete", "cli-study", "--force"]);
        File.WriteAllText(dir["go"], "");
        bool ended = DeletedWhileRetraining.Ended(retrain);

        // Then the retrain ends in one line and leaves no model of the deleted study in best/ (nor its work folder): it
        // put the model there, then failed at its first write
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        await DeletedWhileRetraining.AssertEndedInOneLineAsync(retrain, ended, stdout, stderr, worker, dir["studies/cli-study/study.db"]);
        Assert.EndsWith(" end", File.ReadAllLines(worker.RetrainsLogPath)[^1]);
        Assert.Empty(Directory.EnumerateDirectories(dir["studies/cli-study"], "best*"));
    }

    [Fact]
    public async Task AnInterruptedRetrainOfAStudyInOtherStorageNamesThatStorageInItsHint()
    {
        // Given a searched study whose database is not where the commands look by default (studies/NAME/study.db), being
        // retrained with --storage until the test lets it end
        using var dir = new TempDirectory("cli-study-retrain-hint");
        var worker = new FakeWorker { Directory = dir["worker"], RetrainSeconds = 0, RetrainUntil = dir["go"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["storage"] = "sqlite:elsewhere/s.db");
        Directory.CreateDirectory(dir["elsewhere"]);
        var searched = await SearchCli.RunAsync(dir.Path, ["study", "start", config, "--no-retrain"]);
        Assert.True(searched.ExitCode == 0, searched.Stderr);
        using var retrain = SearchCli.Start(dir.Path, "study", "retrain", "cli-study", "--storage", "sqlite:elsewhere/s.db");
        var (stdout, stderr) = (retrain.StandardOutput.ReadToEndAsync(), retrain.StandardError.ReadToEndAsync());
        await worker.UntilRetrainStartedAsync(retrain, stderr);

        // When it is interrupted
        await Signals.StopAsync(retrain, UnixSignal.Int);

        // Then its hint names that storage: pasted as printed, the bare name retrained the study of
        // studies/cli-study/study.db, another storage (or found none)
        var log = await stdout + await stderr;
        Assert.Contains($"`study retrain cli-study --storage sqlite:///{dir["elsewhere/s.db"]}` (or the same `study start`) retrains it", log);
    }
}
