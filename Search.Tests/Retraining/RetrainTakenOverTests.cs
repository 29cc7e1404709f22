using System.Text.Json.Nodes;
using Mnist.Search.Retraining;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// A retrain whose claim a <c>study start</c> takes over for a newer best trial stops and leaves best/ to it: best/, the
/// claim and the study's retrain attributes all name the newer best. The older retrain went on and swapped its model into
/// best/ after the newer one's, and wrote its trial into the study's attributes, while the claim said the newer best was
/// retrained (so no later <c>study start</c> repaired it). Real CLI processes on a real SQLite study.
/// </summary>
/// <remarks>
/// The older retrain is a <c>study retrain</c> (it exits 1: it retrained nothing) or a <c>study start</c>'s (it exits 0, as
/// when it finds the claim taken: the study's best is retrained, by the other process).
/// </remarks>
public sealed class RetrainTakenOverTests
{
    [Theory]
    [InlineData("retrain", false)] // renewals every 30 s (the default): the takeover is seen right before the swap
    [InlineData("retrain", true)] // renewals every second: a renewal sees it, and the older retrain stops without ending its training
    [InlineData("start", false)]
    public async Task ARetrainWhoseClaimAStudyStartTakesForANewerBestLeavesBestAndTheStudysAttributesToIt(string olderCommand, bool renewEverySecond)
    {
        // Given a study of one trial, whose trial 0 `study retrain` (after a search without retrain) or `study start`
        // retrains until the test lets it end
        using var dir = new TempDirectory("retrain-taken-over");
        var worker = new FakeWorker { Directory = dir["worker"], RetrainSeconds = 0, RetrainUntil = dir["go-$n"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["retrain"]!["enabled"] = true);
        var renewals = new Dictionary<string, string>();
        if (renewEverySecond) renewals["MNIST_SEARCH_RETRAIN_RENEW_SECONDS"] = "1";
        if (olderCommand == "retrain")
        {
            var searched = await SearchCli.RunAsync(dir.Path, ["study", "start", config, "--no-retrain"]);
            Assert.True(searched.ExitCode == 0, searched.Stderr);
        }
        using var older = SearchCli.Start(dir.Path, renewals, olderCommand == "retrain" ? ["study", "retrain", "cli-study"] : ["study", "start", config]);
        var (stdout, stderr) = (older.StandardOutput.ReadToEndAsync(), older.StandardError.ReadToEndAsync());
        await worker.UntilRetrainStartedAsync(older, stderr);

        // When a `study start` with a budget of 2 trials runs trial 1 (better: the fake worker's values rise with the
        // number), takes the live claim over for it and retrains it at once; then the older retrain's training ends
        // (with renewals every second it is not let end: it must stop by itself)
        File.WriteAllText(dir["go-1"], "");
        var newer = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c => c["retrain"]!["enabled"] = true);
        var start = await SearchCli.RunAsync(dir.Path, ["study", "start", newer]);
        if (!renewEverySecond) File.WriteAllText(dir["go-0"], "");
        bool ended = DeletedWhileRetraining.Ended(older);

        // Then the study start retrained trial 1, and best/, the claim and the study's retrain attributes all name trial
        // 1, with no work folder of the older retrain left; the older retrain ended in one line saying that another
        // process retrains the study's best now (study retrain: exit 1, it retrained nothing; study start: exit 0), no
        // stack trace, its worker gone
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.Contains("Retrained trial 1", start.Stdout, StringComparison.Ordinal);
        Assert.True(ended, "the retrain whose claim was taken over did not end within a minute");
        var (output, err) = (await stdout, await stderr);
        var studyDir = dir["studies/cli-study"];
        Assert.Equal(1, (int?)JsonNode.Parse(File.ReadAllText(Path.Combine(studyDir, "best", "retrain.json")))!["trial"]);
        Assert.Equal(["best"], Directory.EnumerateDirectories(studyDir, "best*").Select(Path.GetFileName));
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + Path.Combine(studyDir, "study.db"), dir.Path);
        var study = (await storage.GetStudyAsync("cli-study"))!;
        var claim = JsonNode.Parse((await storage.GetStudySystemAttributesAsync(study.Id))[RetrainClaim.Attribute])!;
        Assert.Equal((1, "done"), ((int?)claim["trial"], (string?)claim["state"]));
        Assert.Equal("1", (await storage.GetStudyUserAttributesAsync(study.Id))[StudyAttributes.RetrainTrial]);
        const string why = @"\S+ pid \d+ took over the retrain claim (to retrain|and retrained) trial 1, the study's best now";
        if (olderCommand == "retrain")
        {
            Assert.True(older.ExitCode == 1, $"exit {older.ExitCode}: {err}");
            Assert.Matches($"^error: study 'cli-study': trial 0 was not retrained: {why}$", err.Trim().Split('\n')[^1]);
        }
        else
        {
            Assert.True(older.ExitCode == 0, $"exit {older.ExitCode}: {err}");
            Assert.Matches($"^\\S+ WRN Retrain of trial 0 stopped: {why}; its model is not put into best/$", err.Trim().Split('\n')[^1]);
            Assert.DoesNotContain("Retrained trial", output, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        var olderWorker = File.ReadAllLines(worker.RetrainsLogPath).First(l => l.StartsWith("retrain 0 ", StringComparison.Ordinal)).Split(' ')[2];
        Assert.False(Directory.Exists($"/proc/{olderWorker}"), $"the older retrain's worker (pid {olderWorker}) still runs");
    }
}
