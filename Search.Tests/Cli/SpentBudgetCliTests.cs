using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>`study start` and `study resume` of a study whose budget is spent (audit-cli 10).</summary>
public sealed class SpentBudgetCliTests
{
    [Fact]
    public async Task StartAndResumeOfASpentStudySayThatNothingRunsAndStillPrintTheBestTrial()
    {
        // Given a finished study of 1 trial
        using var dir = new TempDirectory("cli-spent");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        var first = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.DoesNotContain("nothing to run", first.Stderr);

        foreach (var args in new[] { new[] { "study", "start", config }, ["study", "resume", "cli-study"] })
        {
            // When it is started, or resumed, again
            var again = await SearchCli.RunAsync(dir.Path, args);

            // Then it says, as `study worker` does, that the budget is spent, and how to run more (it printed the start-up
            // lines and the best trial only), and the best trial is printed as before
            Assert.True(again.ExitCode == 0, $"{args[1]}: exit {again.ExitCode}: {again.Stderr}");
            Assert.Contains($"budget spent: 1/1 trials done; nothing to run (raise budget.trials in {config} and run `study start` with it to run more)", again.Stderr);
            Assert.Contains("Best trial 0: val_accuracy = ", again.Stdout);
        }
    }
}
