using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support.Workers;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Cli;

/// <summary>A second stop signal while a study is still stopping (README: "a second signal … quits at once"; exit code 130 interrupted).</summary>
public sealed class SecondSignalCliTests
{
    [Theory]
    [InlineData(UnixSignal.Term)]
    [InlineData(UnixSignal.Hup)]
    public async Task ASecondSignalQuitsAtOnceWithTheInterruptedExitCode(UnixSignal signal)
    {
        // Given a study whose trial 0 has printed its result (a second ago, so the coordinator has read it) and then goes
        // on running (its worker is given 5 s to exit after a stop, so the stop takes that long)
        using var dir = new TempDirectory("cli-second-signal");
        var marker = dir["result-printed"];
        var pidFile = dir["worker.pid"];
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1,
            Custom = { [0] = $$$"""
                echo $$ > "{{{pidFile}}}"
                echo '{"event":"start","config":{}}'
                echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.9}'
                echo '{"event":"result","state":"complete","val_accuracy":0.9}'
                sleep 1
                touch "{{{marker}}}"
                sleep 30
                """ },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        using var run = SearchCli.Start(dir.Path, "study", "start", config, "--no-retrain");
        var stderr = new StringBuilder();
        run.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        run.BeginErrorReadLine();
        _ = run.StandardOutput.ReadToEndAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(marker))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1) && !run.HasExited, "trial 0 never printed its result");
                await Task.Delay(100);
            }

            // When it gets a stop signal, and a second one while it is stopping
            Assert.True(Signals.Send(run.Id, signal));
            while (!Said(stderr, "a second signal quits at once"))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1) && !run.HasExited, "the first signal was never said");
                await Task.Delay(50);
            }
            // (more than a second later: the same signal within Termination.Repeat is the same request delivered twice)
            await Task.Delay(TimeSpan.FromSeconds(1.2));
            Assert.True(Signals.Send(run.Id, signal), Text(stderr));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(4));
            await run.WaitForExitAsync(timeout.Token);

            // Then it quit at once (before the worker's 5 s were up), with exit code 130 as README says (it ended by the
            // signal's default action: 143 for SIGTERM, 129 for SIGHUP)
            Assert.Equal(130, run.ExitCode);

            // And study.log says why it quit and what becomes of the trials it leaves RUNNING (it ended at the first stop's
            // lines, and `study status` showed a RUNNING trial no line explained: audit-chaos 2)
            var log = File.ReadAllText(dir["studies/cli-study/study.log"]);
            Assert.True(log.Split('\n').Any(l => l.Contains("[WRN]") && l.Contains($"a second signal ({(signal == UnixSignal.Term ? "SIGTERM" : "SIGHUP")}): quitting at once")
                && l.Contains("stay RUNNING until the next run of the study on this machine fails them")), log + "\nstderr:\n" + Text(stderr));

            // And it killed the worker first (it ran on as an orphan, in a process group and session of its own)
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
            Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(3)), $"worker {pid} outlived its coordinator");
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                Signals.SendToGroup(pid, UnixSignal.Kill);
        }
    }

    [Theory]
    // GNU timeout (without --foreground): to the process, then to its process group
    [InlineData(2, 50)]
    // a supervisor sending it again and again for 0.75 s: some arrive while the process ends, after its stop's cleanup
    [InlineData(150, 5)]
    public async Task TheSameSignalDeliveredAgainWithinASecondIsOneStopThatRecordsTheTrial(int deliveries, int apartMs)
    {
        // Given a study whose trial 0 is training (its worker prints epoch 1 and trains on)
        using var dir = new TempDirectory("cli-double-signal");
        var pidFile = dir["worker.pid"];
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 2,
            Custom = { [0] = $$$"""
                echo '{"event":"start","config":{}}'
                echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_accuracy":0.6}'
                echo $$ > "{{{pidFile}}}"
                sleep 60
                exit 0
                """ },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        using var run = SearchCli.Start(dir.Path, "study", "start", config, "--no-retrain");
        var stderr = new StringBuilder();
        run.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        run.BeginErrorReadLine();
        _ = run.StandardOutput.ReadToEndAsync();
        var pid = 0;
        try
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out pid))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1) && !run.HasExited, "trial 0 never started");
                await Task.Delay(100);
            }

            // When it gets SIGTERM again and again, less than a second apart in all
            Assert.True(Signals.Send(run.Id, UnixSignal.Term));
            for (var i = 1; i < deliveries && !run.HasExited; i++)
            {
                await Task.Delay(apartMs);
                // (the stop may be over by then and the process ending: a delivery then met the default action, exit 143,
                // once the handlers were unregistered as Main returned; 3 runs in 8 of the two deliveries 50 ms apart)
                Signals.Send(run.Id, UnixSignal.Term);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await run.WaitForExitAsync(timeout.Token);

            // Then that is one stop: it records the trial as interrupted and queued again, and exits 130 (it quit at once,
            // leaving the trial RUNNING and its worker orphaned)
            Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {Text(stderr)}");
            Assert.Contains("Interrupted:", Text(stderr));
            await using var storage = await StorageFactory.OpenAsync("sqlite:" + dir["studies/cli-study/study.db"], dir.Path);
            var trials = await storage.GetAllTrialsAsync((await storage.GetStudyAsync("cli-study"))!.Id);
            var trial = trials.Single(t => t.Number == 0);
            Assert.Equal(TrialState.FAIL, trial.State);
            Assert.Contains("interrupted", trial.SystemAttrs[StudyAttributes.FailReason]);
            Assert.True(await ProcessProbe.WaitGoneAsync(pid, TimeSpan.FromSeconds(3)), $"worker {pid} outlived its coordinator");
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
            if (pid > 0) Signals.SendToGroup(pid, UnixSignal.Kill);
        }
    }

    private static string Text(StringBuilder text)
    {
        lock (text) return text.ToString();
    }

    private static bool Said(StringBuilder text, string what)
    {
        lock (text) return text.ToString().Contains(what, StringComparison.Ordinal);
    }
}
