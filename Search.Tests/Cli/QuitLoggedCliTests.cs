using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A study quit at once by a second stop signal says so in study.log, with what becomes of the trials it leaves RUNNING:
/// the log ended at the first stop's lines, and `study status` showed a RUNNING trial no line explained (audit-chaos 2).
/// </summary>
public sealed class QuitLoggedCliTests
{
    [Fact]
    public async Task ASecondSignalIsSaidInStudyLogWithTheTrialsItLeavesRunning()
    {
        // Given a study whose trial 0 has printed its result and then goes on running (its worker is given 5 s to exit
        // after a stop, so the stop takes that long)
        using var dir = new TempDirectory("cli-quit-logged");
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

            // When it gets SIGTERM, and SIGHUP while it is stopping
            Assert.True(Signals.Send(run.Id, UnixSignal.Term));
            while (!Said(stderr, "a second signal quits at once"))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1) && !run.HasExited, "the first signal was never said");
                await Task.Delay(50);
            }
            Assert.True(Signals.Send(run.Id, UnixSignal.Hup));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(4));
            await run.WaitForExitAsync(timeout.Token);
            var log = File.ReadAllText(dir["studies/cli-study/study.log"]);
            Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {Text(stderr)}");

            // Then study.log says why the process quit, and what happens to the trials it leaves RUNNING (those it had not
            // recorded when its workers were killed: this one's result may be recorded meanwhile)
            Assert.True(log.Split('\n').Any(l => l.Contains("[WRN]") && l.Contains("a second signal (SIGHUP): quitting at once")
                && l.Contains("stay RUNNING until the next run of the study on this machine fails them")), log + "\nstderr:\n" + Text(stderr));
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                Signals.SendToGroup(pid, UnixSignal.Kill);
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
