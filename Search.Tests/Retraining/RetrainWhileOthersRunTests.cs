using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Retraining;

/// <summary>
/// A <c>study start</c> stopped by its own <c>budget.timeout_minutes</c> retrains the best so far even while another
/// process's trial of the study still runs, and says that the final best is retrained later by <c>study retrain</c>.
/// Real CLI processes.
/// </summary>
public sealed class RetrainWhileOthersRunTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AStudyStartStoppedByItsTimeoutWhileAnotherProcesssTrialRunsRetrainsAndSaysHowToRetrainTheFinalBest()
    {
        // Given a study of 3 trials with a 3-second timeout, whose trial 0 hangs in a first coordinator
        using var dir = new TempDirectory("retrain-others-run");
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01,
            Behaviours = { [0] = FakeWorker.Behaviour.Hang },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 3, tweak: c =>
        {
            c["retrain"]!["enabled"] = true;
            c["budget"]!["timeout_minutes"] = 0.05;
        });
        await using var first = SearchCli.Watch("first", dir.Path, 30, "study", "start", config);
        try
        {
            Assert.True(await TrialStartedAsync(worker, 0), "trial 0 did not start");

            // When a second coordinator runs trials 1 and 2 and reaches its timeout while trial 0 still runs
            var second = await SearchCli.RunAsync(dir.Path, "study", "start", config);

            // Then it retrains its best so far, warning that a trial still runs elsewhere and how to retrain the final best
            Assert.True(second.ExitCode == 0, second.Stderr);
            Assert.Contains("1 trial(s) of study cli-study still run in other processes: retraining the best so far (trial 2)", second.Stderr, StringComparison.Ordinal);
            Assert.Contains("`study retrain cli-study` retrains the study's final best", second.Stderr, StringComparison.Ordinal);
            Assert.True(File.Exists(dir["studies/cli-study/best/model.bin"]));
        }
        finally
        {
            first.Signal(UnixSignal.Kill);
            await first.WaitForExitAsync(Patience);
            foreach (var pid in Signals.Find(worker.ScriptPath)) Signals.SendToGroup(pid, UnixSignal.Kill);
        }
    }

    private static async Task<bool> TrialStartedAsync(FakeWorker worker, int trial)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (File.Exists(worker.LogPath)
                && File.ReadAllLines(worker.LogPath).Any(l => l.Split(' ') is [_, var n, _, "start"] && n == trial.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                return true;
            await Task.Delay(100);
        }
        return false;
    }
}
