using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Study;

/// <summary>A coordinator killed with SIGKILL (kill -9, Slurm's KillWait, a closed VM) while its configuration runs, again and again.</summary>
public sealed class KilledCoordinatorTests
{
    [Fact]
    public async Task AConfigurationWhoseCoordinatorIsKilledThreeTimesStillRunsToTheEnd()
    {
        // Given a one-trial study (the bound on retries is two) whose first three runs of the configuration never end
        using var dir = new TempDirectory("killed-thrice");
        var started = dir["started"];
        // (a worker that ends at the end of its stdin, as ours does: its coordinator's death closes it)
        var hang = $$$"""
            echo '{"event":"start","config":{}}'
            touch "{{{started}}}-$n"
            while read -r _; do :; done
            exit 1
            """;
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.05, Custom = { [0] = hang, [1] = hang, [2] = hang } }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);

        // When its coordinator is killed with SIGKILL three times while that configuration runs (as trial 0, then as its
        // retries 1 and 2), and the study is started once more
        for (var trial = 0; trial < 3; trial++)
        {
            using var run = SearchCli.Start(dir.Path, "study", "start", config, "--no-retrain");
            var stderr = run.StandardError.ReadToEndAsync();
            _ = run.StandardOutput.ReadToEndAsync();
            for (var waited = 0; !File.Exists($"{started}-{trial}"); waited++)
            {
                if (run.HasExited) Assert.Fail($"run {trial + 1} ended (exit {run.ExitCode}) before trial {trial} ran: {await stderr}");
                Assert.True(waited < 1200, $"trial {trial} never started");
                await Task.Delay(100);
            }
            run.Kill(entireProcessTree: false);
            await run.WaitForExitAsync();
        }
        var last = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");

        // Then it was queued again after each kill, none of them counted as a failure of the configuration (the third
        // dropped it, "failed 3 times; not retried again", and the budget of one ended as a FAIL that never trained:
        // exit 3), and the last run trained it
        Assert.True(last.ExitCode == 0, $"exit {last.ExitCode}: {last.Stderr}");
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["studies/cli-study/study.db"], dir.Path);
        var trials = (await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id)).OrderBy(t => t.Number).ToList();
        Assert.Equal([TrialState.FAIL, TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE], trials.Select(t => t.State));
        Assert.All(trials.Take(3), t => Assert.Contains("orphaned: coordinator process", t.SystemAttrs[StudyAttributes.FailReason]));
        Assert.All(trials, t => Assert.Equal("0", t.SystemAttrs.GetValueOrDefault(StudyAttributes.RetryCount) ?? "0"));
        Assert.Equal("2", trials[3].SystemAttrs[StudyAttributes.RetryOf]);
        Assert.Equal(trials[0].Params, trials[3].Params);
    }
}
