using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// A coordinator SIGKILLed between writing a trial's spec and renaming it into place left
/// <c>trials/N/.spec.json.tmp-PID-….json</c> for ever (audit-chaos 3): the run that fails the trial as orphaned removes it.
/// </summary>
public sealed class OrphanedTrialLeftoversTests
{
    [Fact]
    public async Task TheRunThatFailsAKilledCoordinatorsTrialRemovesTheSpecItLeftHalfWritten()
    {
        // Given a study whose coordinator was SIGKILLed while trial 0 ran, leaving a spec under its temporary name in the
        // trial's folder (as a kill between the write and the rename does), beside one of a live process
        using var dir = new TempDirectory("orphan-leftovers");
        var started = dir["started"];
        var hang = $$$"""
            echo '{"event":"start","config":{}}'
            touch "{{{started}}}"
            while read -r _; do :; done
            exit 1
            """;
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.05, Custom = { [0] = hang } }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        using (var run = SearchCli.Start(dir.Path, "study", "start", config, "--no-retrain"))
        {
            var stderr = run.StandardError.ReadToEndAsync();
            _ = run.StandardOutput.ReadToEndAsync();
            for (var waited = 0; !File.Exists(started); waited++)
            {
                if (run.HasExited) Assert.Fail($"the run ended (exit {run.ExitCode}) before trial 0 ran: {await stderr}");
                Assert.True(waited < 600, "trial 0 never started");
                await Task.Delay(100);
            }
            run.Kill(entireProcessTree: false);
            await run.WaitForExitAsync();
            var halfWritten = dir[$"studies/cli-study/trials/0/.spec.json.tmp-{run.Id}-{Guid.NewGuid():N}.json"];
            File.WriteAllText(halfWritten, "{\"trial\":");
            var ofLiveProcess = dir[$"studies/cli-study/trials/0/.spec.json.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}.json"];
            File.WriteAllText(ofLiveProcess, "{");

            // When the study is started again
            var again = await SearchCli.RunAsync(dir.Path, "study", "start", config, "--no-retrain");

            // Then the trial was failed as orphaned and ran again, and the dead coordinator's half-written spec is gone
            Assert.True(again.ExitCode == 0, again.Stderr);
            Assert.Contains("Trial 0 was left RUNNING by dead process", again.Stderr);
            Assert.False(File.Exists(halfWritten), halfWritten);
            Assert.True(File.Exists(ofLiveProcess), ofLiveProcess);
        }
    }
}
