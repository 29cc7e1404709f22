using Mnist.Search.Tests.Support.Faults;
using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// How `study start` ends, as a user and a script see it: the exit code when no trial completed, the retrain's
/// progress in a terminal after the live view, and what study.log says when a retrain fails or is stopped.
/// </summary>
public sealed class StudyEndingCliTests
{
    private const string Pruned = """
        echo '{"event":"start","config":{}}'
        echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_loss":0.4,"val_accuracy":0.6,"images_per_s":1000,"elapsed_s":1}'
        echo '{"event":"result","state":"pruned","duration_s":0.1}'
        exit 0
        """;

    [Fact]
    public async Task AStudyWhoseTrialsWereAllPrunedOrFailedExits3AndSaysWhyThereIsNoModel()
    {
        // Given a study with the retrain on whose one trial is pruned and the other fails (as when full-length
        // trials time out and the short ones are pruned)
        using var dir = new TempDirectory("cli-no-complete");
        var worker = new FakeWorker
        {
            Directory = dir["worker"],
            Custom = { [0] = Pruned },
            Behaviours = { [1] = FakeWorker.Behaviour.ErrorLine },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c =>
        {
            c["retrain"] = JsonNode.Parse("""{"enabled": true, "epochs": 1}""");
            c["sampler"] = JsonNode.Parse("""{"kind": "random", "seed": 3}""");
        });

        // When it runs
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it exits 3, as when every trial failed (it exited 0 and skipped the retrain without a word), and says why
        Assert.True(r.ExitCode == 3, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("No trial completed (1 pruned, 1 failed): no best trial and no model", r.Stderr);
        Assert.False(Directory.Exists(dir["studies/cli-study/best"]));
    }

    [Fact]
    public async Task InATerminalTheRetrainIsShownAfterTheLiveView()
    {
        // Given a study with a retrain, run in a terminal (a pseudo-terminal: the live view draws)
        using var dir = new TempDirectory("cli-retrain-terminal");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c =>
            c["retrain"] = JsonNode.Parse("""{"enabled": true, "epochs": 1}"""));
        var typescript = dir["typescript"];

        // When it runs to its end
        using var terminal = SearchCli.StartInTerminal(dir.Path, typescript, "study", "start", config);
        var output = terminal.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await terminal.WaitForExitAsync(timeout.Token);
        await output;

        // Then the terminal showed the live view's table, and then the retrain's log lines (it showed nothing between
        // the table and the final result line: a real retrain is minutes of silence)
        // (without the colours' escape sequences, which split the log lines' words)
        var shown = System.Text.RegularExpressions.Regex.Replace(await File.ReadAllTextAsync(typescript), "\u001b\\[[0-9;?]*[A-Za-z]", "");
        Assert.True(terminal.ExitCode == 0, shown);
        Assert.Contains("Best trial 0", shown);
        Assert.Contains("Retraining trial 0", shown);
        Assert.Contains("Retrained trial 0: test accuracy", shown);
    }

    [Fact]
    public async Task AFailedRetrainIsAnErrorOfStudyLogAndAStoppedOneAWarningWithoutFailureLogs()
    {
        // Given two studies whose retrain fails, and whose retrain is stopped by Ctrl+C
        using var dir = new TempDirectory("cli-retrain-ends");
        var failing = new FakeWorker { Directory = dir["failing/worker"], Epochs = 1, RetrainFails = true }.Write();
        var slow = new FakeWorker { Directory = dir["slow/worker"], Epochs = 1, RetrainSeconds = 60 }.Write();
        var retrain = (Action<JsonObject>)(c => c["retrain"] = JsonNode.Parse("""{"enabled": true, "epochs": 1}"""));
        var failingConfig = StudyFiles.WriteConfig(dir["failing"], failing, trials: 1, tweak: retrain);
        var slowConfig = StudyFiles.WriteConfig(dir["slow"], slow, trials: 1, tweak: retrain);

        // When the one runs, and the other is stopped once its retrain runs
        var failed = await SearchCli.RunAsync(dir["failing"], "study", "start", failingConfig);
        using var stopped = SearchCli.Start(dir["slow"], "study", "start", slowConfig);
        var stderr = stopped.StandardError.ReadToEndAsync();
        var stdout = stopped.StandardOutput.ReadToEndAsync();
        var retrains = slow.RetrainsLogPath;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!File.Exists(retrains))
        {
            Assert.True(DateTime.UtcNow < deadline && !stopped.HasExited, "the retrain never started");
            await Task.Delay(100);
        }
        await Signals.StopAsync(stopped, UnixSignal.Int);
        await stdout;

        // Then study.log ends each with how the retrain ended (its last line was "Retraining trial 0"): the failure
        // as an error with its reason, its worker logs kept; the stop as a warning saying how to finish, and no
        // failure logs (a Ctrl+C was filed under retrain-failed/)
        Assert.True(failed.ExitCode == 1, failed.Stderr);
        var failedLog = await File.ReadAllTextAsync(dir["failing/studies/cli-study/study.log"]);
        Assert.Contains("[ERR] (", failedLog.Split('\n').Single(l => l.Contains("Retrain of trial 0 failed:")));
        Assert.True(Directory.Exists(dir["failing/studies/cli-study/retrain-failed"]));
        Assert.True(stopped.ExitCode == 130, await stderr);
        var stoppedLog = await File.ReadAllTextAsync(dir["slow/studies/cli-study/study.log"]);
        Assert.Contains("[WRN] (", stoppedLog.Split('\n').Single(l => l.Contains("Retrain of trial 0 interrupted; `study retrain cli-study`")));
        Assert.False(Directory.Exists(dir["slow/studies/cli-study/retrain-failed"]));
    }
}
