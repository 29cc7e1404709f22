using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Faults;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

[Trait(Needs.Name, Needs.Optuna4)]
public sealed class StudyStartCliTests
{
    [Fact]
    public async Task AKilledCoordinatorRestartedFinishesWithExactlyTheBudget()
    {
        // Given a study of 6 trials of about a second each, run by the real command line
        using var dir = new TempDirectory("cli-kill");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 2, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 6);
        var db = dir["studies/cli-study/study.db"];

        // When the coordinator is SIGKILLed after two trials completed
        using (var first = SearchCli.Start(dir.Path, "study", "start", config))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (await CountAsync(db, "COMPLETE") < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the first run never completed two trials");
                // (stderr is read only once the process has exited: awaiting it earlier would wait for the whole run)
                if (first.HasExited) Assert.Fail("the first run ended early: " + await first.StandardError.ReadToEndAsync());
                await Task.Delay(100);
            }
            first.Kill(entireProcessTree: false);
            await first.WaitForExitAsync();
        }
        var before = await TrialsAsync(db);
        var completedBefore = before.Where(t => t.State == TrialState.COMPLETE).ToDictionary(t => t.Number, t => t.Value);
        Assert.InRange(completedBefore.Count, 2, 5); // killed midway, not after the study ended

        // And the same command runs again
        var second = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it succeeds, and the study holds exactly 6 budgeted trials with unique numbers,
        // every trial completed before the kill unchanged
        Assert.True(second.ExitCode == 0, second.Stderr + second.Stdout);
        var after = await TrialsAsync(db);
        Assert.Equal(after.Count, after.Select(t => t.Number).Distinct().Count());
        var budget = Budget.Of(after, 6);
        Assert.True(budget.IsSpent);
        Assert.Equal(6, budget.Used);
        Assert.Equal(6, after.Count(t => t.State == TrialState.COMPLETE));
        foreach (var (number, value) in completedBefore)
            Assert.Equal(value, after.Single(t => t.Number == number).Value);
        Assert.Contains("Best trial", second.Stdout);

        // And Optuna 4 reads the study the coordinator wrote: the same trials and best value
        var optuna = await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            s = optuna.load_study(study_name="cli-study", storage="sqlite:///" + sys.argv[1])
            print(len(s.trials), s.best_trial.number, repr(s.best_value), sorted(s.best_params))
            """, db);
        var best = after.Where(t => t.State == TrialState.COMPLETE).MaxBy(t => t.Value)!;
        Assert.Equal($"{after.Count} {best.Number} {best.Value!.Value:R} ['batch_size', 'conv1_channels', 'learning_rate']", optuna.Trim());
    }

    [Fact]
    public async Task TheInterruptedStudysHintNamesItsStorageAndTheHintedCommandFinishesIt()
    {
        // Given a study of 2 trials whose database is not where `study resume NAME` looks by default, with a trial running
        using var dir = new TempDirectory("cli-sigint-hint");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 10, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c => c["storage"] = "sqlite:elsewhere/db.sqlite");
        var db = dir["elsewhere/db.sqlite"];
        var (first, stdout, stderr) = await StartUntilAsync(dir.Path, config, "trial 0 never started", async () => await CountAsync(db, "RUNNING") >= 1);
        using var _ = first;

        // When it is interrupted
        await Signals.StopAsync(first, UnixSignal.Int, 30);

        // Then its hint names the storage (it said `study resume NAME`, which then failed with "unknown study"), and the
        // hinted command finishes the study
        Assert.True(first.ExitCode == 130, $"exit {first.ExitCode}: {await stderr}");
        // And the signal's line says what stopping does to a study
        Assert.Contains("SIGINT: stopping (running trials are recorded and queued again;", await stderr);
        // And stdout, which scripts keep as the run's result, does not say what a study whose trials all failed says
        Assert.Contains("Interrupted before any trial completed.", await stdout);
        Assert.DoesNotContain("No trial completed", await stdout);
        var hint = System.Text.RegularExpressions.Regex.Match(await stdout + await stderr, "`(study resume [^`]*)`");
        Assert.True(hint.Success, await stderr);
        Assert.Equal($"study resume cli-study --storage sqlite:///{db}", hint.Groups[1].Value);
        var resumed = await SearchCli.RunAsync(dir.Path, hint.Groups[1].Value.Split(' '));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(2, (await TrialsAsync(db)).Count(t => t.State == TrialState.COMPLETE));
    }

    [Fact]
    public async Task CtrlCStopsTheRunningTrialCleanlyAndTheNextRunFinishesTheBudget()
    {
        // Given a study of 3 trials of about 5 seconds each, with trial 0 done and trial 1 running
        using var dir = new TempDirectory("cli-sigint");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 10, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 3);
        var db = dir["studies/cli-study/study.db"];
        var (first, stdout, stderr) = await StartUntilAsync(dir.Path, config, "trial 1 never started",
            async () => await CountAsync(db, "COMPLETE") >= 1 && await CountAsync(db, "RUNNING") >= 1);
        using var _ = first;

        // When the coordinator gets SIGINT, as from Ctrl+C
        using (var kill = Process.Start("kill", ["-INT", first.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await first.WaitForExitAsync(timeout.Token);

        // Then it exits 130 at once, nothing is left RUNNING, the interrupted trial is FAIL and queued again,
        // and no worker process outlives it
        Assert.True(first.ExitCode == 130, $"exit {first.ExitCode}: {await stderr}");
        Assert.Contains("run the same command again", await stdout + await stderr);
        // And the last progress line counts the interrupted trial as queued again, not as done (it said "2/3 done
        // (1 complete, 0 pruned, 1 failed)" and then "1/3 trials done")
        var lastProgress = (await stdout + await stderr).Split('\n').Last(l => l.Contains("Progress:"));
        Assert.Contains("1/3 done (1 complete, 0 pruned, 0 failed, 1 failed and retried)", lastProgress);
        var interrupted = await TrialsAsync(db);
        Assert.DoesNotContain(interrupted, t => t.State == TrialState.RUNNING);
        Assert.Equal(1, interrupted.Count(t => t.State == TrialState.COMPLETE));
        Assert.Equal(1, interrupted.Count(t => t.State == TrialState.FAIL));
        Assert.Equal(1, interrupted.Count(t => t.State == TrialState.WAITING));
        await Task.Delay(1500); // a worker that ignored its closed stdin would still be writing epochs now
        Assert.False(AnyProcessMentions(worker.ScriptPath), "a worker outlived the interrupted coordinator");

        // And the same command finishes the study with exactly the budget
        var second = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var after = await TrialsAsync(db);
        Assert.Equal(3, after.Count(t => t.State == TrialState.COMPLETE));
        Assert.True(Budget.Of(after, 3).IsSpent);
    }

    [Fact]
    public async Task CtrlCJustAfterTrialsPrintedTheirResultsKeepsThoseResults()
    {
        // Given two trials running at once that have printed their results: one takes a second to exit (as `Trials
        // run` takes 0.1 s, more under load), the other never exits
        using var dir = new TempDirectory("cli-sigint-result");
        string Finish(string value, string then) => $$$"""
            echo '{"event":"start","config":{}}'
            echo '{"event":"epoch","epoch":1,"train_loss":0.5,"val_loss":0.4,"val_accuracy":{{{value}}},"images_per_s":1000,"elapsed_s":1}'
            echo '{"event":"result","state":"complete","val_accuracy":{{{value}}},"duration_s":0.2,"checkpoint":null}'
            touch "{{{dir["worker"]}}}/printed-$n"
            {{{then}}}
            """;
        var worker = new FakeWorker
        {
            Directory = dir["worker"], Epochs = 1,
            Custom = { [0] = Finish("0.77", "sleep 1; exit 0"), [1] = Finish("0.88", "sleep 600; exit 0") },
        }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, tweak: c =>
        {
            c["devices"] = JsonNode.Parse("""{"cpu_slots": 2, "threads_per_slot": 1}""");
            c["budget"]!["max_concurrent"] = 2;
            c["sampler"] = JsonNode.Parse("""{"kind": "random", "seed": 3}""");
        });
        var db = dir["studies/cli-study/study.db"];
        var (run, stdout, stderr) = await StartUntilAsync(dir.Path, config, "the trials never printed their results",
            () => Task.FromResult(File.Exists(dir["worker/printed-0"]) && File.Exists(dir["worker/printed-1"])));
        using var _ = run;

        // When the coordinator gets SIGINT, as from Ctrl+C
        await Signals.StopAsync(run, UnixSignal.Int, seconds: 60);

        // Then both trials are COMPLETE with their values (each was FAIL "worker exited with code 137", not run
        // again, its value lost), the one that would not exit was killed after its grace, and no worker is left
        Assert.True(run.ExitCode == 130, $"exit {run.ExitCode}: {await stderr}");
        var trials = await TrialsAsync(db);
        Assert.Equal([(TrialState.COMPLETE, 0.77), (TrialState.COMPLETE, 0.88)],
            trials.OrderBy(t => t.Number).Select(t => (t.State, t.Value ?? double.NaN)));
        Assert.False(AnyProcessMentions(worker.ScriptPath), "a worker outlived the interrupted coordinator");
    }

    [Fact]
    public async Task ASignalWhenTheConsoleCannotBeWrittenStillRecordsTheRunningTrialAndExits130()
    {
        // Given a study whose trial 0 is running, with stderr and stdout that cannot be written (as after a closed
        // terminal, whose writes fail with EIO; here a full device, ENOSPC)
        using var dir = new TempDirectory("cli-signal-dead-console");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 20, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var db = dir["studies/cli-study/study.db"];
        using var run = SearchCli.StartRedirected(dir.Path, ">/dev/full 2>/dev/full", "study", "start", config);
        await UntilTrialRunsAsync(db, worker, run);

        // When the coordinator gets SIGTERM
        await Signals.StopAsync(run, UnixSignal.Term);

        // Then it exits 130 with the trial recorded FAIL and queued again (the handler's message threw: the runtime
        // aborted the process, exit 134, and the trial stayed RUNNING), and no worker is left
        Assert.Equal(130, run.ExitCode);
        var trials = await TrialsAsync(db);
        Assert.Equal([TrialState.FAIL, TrialState.WAITING], trials.OrderBy(t => t.Number).Select(t => t.State));
        Assert.False(AnyProcessMentions(worker.ScriptPath), "a worker outlived the coordinator");
    }

    [Fact]
    public async Task WhenTheTerminalOfARunningStudyIsClosedItsRunningTrialIsRecordedAndQueuedAgain()
    {
        // Given a study running in a terminal (a pseudo-terminal, under its live view), trial 0 running
        using var dir = new TempDirectory("cli-terminal-closed");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 20, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var db = dir["studies/cli-study/study.db"];
        using var terminal = SearchCli.StartInTerminal(dir.Path, "/dev/null", "study", "start", config);
        var output = terminal.StandardOutput.ReadToEndAsync();
        await UntilTrialRunsAsync(db, worker, terminal);

        // When the terminal goes away (as sshd closes a dropped session's terminal: SIGHUP, then every write fails)
        terminal.Kill();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Signals.Find(config).Count > 0 || AnyProcessMentions(worker.ScriptPath))
        {
            Assert.True(DateTime.UtcNow < deadline, "the coordinator or a worker is still running");
            await Task.Delay(100);
        }

        // Then the running trial was recorded FAIL and queued again (the failed write of the view or of the signal's
        // message ended the process with the trial RUNNING)
        var trials = await TrialsAsync(db);
        Assert.Equal([TrialState.FAIL, TrialState.WAITING], trials.OrderBy(t => t.Number).Select(t => t.State));
        Assert.Contains("interrupted", trials.Single(t => t.Number == 0).SystemAttrs[StudyAttributes.FailReason]);
    }

    [Fact]
    public async Task AConfigurationInterruptedThreeTimesStillRunsToTheEnd()
    {
        // Given a one-trial study (the bound on retries is two)
        using var dir = new TempDirectory("cli-sigint-thrice");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 6, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        var db = dir["studies/cli-study/study.db"];

        // When it is stopped with Ctrl+C three times while its configuration runs, as a preempted Slurm job requeued
        // three times is
        for (var stop = 1; stop <= 3; stop++)
        {
            // (running with its configuration: stopped while it was still being proposed, a trial has none to queue again)
            var (run, _, stderr) = await StartUntilAsync(dir.Path, config, $"run {stop} never ran its trial",
                async () => await CountAsync(db, "RUNNING") >= 1 && (await TrialsAsync(db)).Any(t => t.State == TrialState.RUNNING && t.Params.Count > 0));
            using var _ = run;
            await Signals.StopAsync(run, UnixSignal.Int);
            Assert.True(run.ExitCode == 130, $"run {stop}: exit {run.ExitCode}: {await stderr}");
        }

        // Then it is queued again each time (the third stop dropped it: "failed 3 times; not retried again", and
        // the budget held a FAIL the configuration never caused), and the next run finishes it
        var stopped = await TrialsAsync(db);
        Assert.Equal([TrialState.FAIL, TrialState.FAIL, TrialState.FAIL, TrialState.WAITING], stopped.OrderBy(t => t.Number).Select(t => t.State));
        var last = await SearchCli.RunAsync(dir.Path, "study", "start", config);
        Assert.True(last.ExitCode == 0, last.Stderr);
        var trials = (await TrialsAsync(db)).OrderBy(t => t.Number).ToList();
        Assert.Equal(TrialState.COMPLETE, trials[^1].State);
        Assert.Equal(trials[0].Params, trials[^1].Params);
    }

    [Fact]
    public async Task AWorkerOverrideThatIsNotExecutableIsRefusedBeforeAnythingIsWritten()
    {
        // Given the default worker pointed (MNIST_SEARCH_WORKER) at a file that cannot be run
        using var dir = new TempDirectory("cli-worker-not-executable");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 2,
            tweak: c => c.Remove("worker"));
        File.WriteAllText(dir["notexec"], "x");

        // When the study is started
        var r = await SearchCli.RunAsync(dir.Path, new Dictionary<string, string> { ["MNIST_SEARCH_WORKER"] = dir["notexec"] }, "study", "start", config);

        // Then one line names it, exit 2, and no study, no trial, no folder was made (a study with a FAIL and a
        // WAITING trial was)
        Assert.True(r.ExitCode == 2, r.Stderr);
        Assert.Equal($"error: MNIST_SEARCH_WORKER={dir["notexec"]}: not an executable file (expected the Trials executable or Trials.dll)", r.Stderr.Trim());
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Fact]
    public async Task AFloatStepMakingABillionValuesIsRefusedBeforeAnythingIsWritten()
    {
        // Given a search.json whose weight_decay is stepped by 1e-12 over [0, 0.001]: 1e9 values, more than doubles hold
        // on a grid (it was accepted, then a random proposal was refused mid-study, leaving a FAIL trial and exit 2); the
        // JSON writer spells it 1E-12, which the message quotes as written
        using var dir = new TempDirectory("cli-float-step-too-fine");
        var config = StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 8,
            tweak: c => c["space"]!["weight_decay"] = new JsonObject { ["type"] = "float", ["low"] = 0, ["high"] = 0.001, ["step"] = 1e-12 });

        // When the study is started
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then one line names the file, the step's path, its value and the bound, exit 2, and nothing was written
        Assert.True(r.ExitCode == 2, r.Stderr);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.EndsWith("search.json: $.space.weight_decay.step: 1E-12 makes 1e9 values (at most 1e7); use a larger step or no step", line);
        Assert.StartsWith("error: ", line);
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Fact]
    public async Task SighupWhileTheDatabaseIsBusyStillRecordsTheInterruptedTrialAndQueuesItAgain()
    {
        // Given a study whose trial 0 is running
        using var dir = new TempDirectory("cli-sighup");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 20, EpochSeconds = 0.5 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);
        var db = dir["studies/cli-study/study.db"];
        var (run, stdout, stderr) = await StartUntilAsync(dir.Path, config, "trial 0 never started", async () => await CountAsync(db, "RUNNING") >= 1);
        using var _ = run;
        await Task.Delay(1000);

        // When another process holds the database's write lock for 5 s and the terminal closes (SIGHUP) meanwhile
        await using (var holder = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            await holder.OpenAsync();
            await using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }
            Assert.True(Signals.Send(run.Id, UnixSignal.Hup));
            await Task.Delay(TimeSpan.FromSeconds(5));
            if (run.HasExited) Assert.Fail("the coordinator quit before it could record its trial: " + await stderr);
            await using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await run.WaitForExitAsync(timeout.Token);

        // Then it exits 130 once the lock is free, with its trial FAIL and queued again, nothing RUNNING, no worker left
        var output = await stdout + await stderr;
        Assert.True(run.ExitCode == 130 && output.Contains("run the same command again"), $"exit {run.ExitCode}: {output}");
        var trials = await TrialsAsync(db);
        Assert.DoesNotContain(trials, t => t.State == TrialState.RUNNING);
        Assert.Contains("interrupted", Assert.Single(trials, t => t.State == TrialState.FAIL).SystemAttrs[StudyAttributes.FailReason]);
        Assert.Single(trials, t => t.State == TrialState.WAITING);
        Assert.False(AnyProcessMentions(worker.ScriptPath), "a worker outlived the interrupted coordinator");
    }

    /// <summary>Starts <c>study start</c> and waits (2 min at most) until <paramref name="ready"/> says so; stdout and stderr are read to their end.</summary>
    private static async Task<(Process Run, Task<string> Stdout, Task<string> Stderr)> StartUntilAsync(
        string folder, string config, string never, Func<Task<bool>> ready)
    {
        var run = SearchCli.Start(folder, "study", "start", config);
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await ready())
        {
            Assert.True(DateTime.UtcNow < deadline, never);
            // (stderr is read only once the process has exited: awaiting it earlier would wait for the whole run)
            if (run.HasExited) Assert.Fail("the run ended early: " + await stderr);
            await Task.Delay(100);
        }
        return (run, stdout, stderr);
    }

    /// <summary>Waits (2 min at most) until the study's first trial runs: RUNNING in storage, its worker started.</summary>
    private static async Task UntilTrialRunsAsync(string db, FakeWorker worker, Process run)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!(File.Exists(db) && await CountAsync(db, "RUNNING") >= 1 && File.Exists(worker.LogPath)))
        {
            Assert.True(DateTime.UtcNow < deadline && !run.HasExited, "trial 0 never started");
            await Task.Delay(100);
        }
    }

    /// <summary>Whether a running process's command line mentions <paramref name="text"/>.</summary>
    private static bool AnyProcessMentions(string text) => Signals.Find(text).Count > 0;

    [Fact]
    public async Task AChangedSearchSpaceIsRefusedWithExitCode2()
    {
        // Given a finished study
        using var dir = new TempDirectory("cli-conflict");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "start", config)).ExitCode);
        var before = File.ReadAllBytes(dir["studies/cli-study/study.db"]);

        // When the configuration's space changes and the study is started again
        StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["space"]!["conv1_channels"]!["high"] = 128);
        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it is refused, naming the parameter and how to carry the trials' best configurations over, and no trial was added
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("conv1_channels", result.Stderr);
        Assert.Contains("`study create` the new one, `study enqueue NEW --from-study cli-study --top N`, then `study start`", result.Stderr);
        Assert.Single(await TrialsAsync(dir["studies/cli-study/study.db"]));
    }

    [Fact]
    public async Task AnInvalidConfigurationExitsWith2AndCreatesNothing()
    {
        using var dir = new TempDirectory("cli-bad");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c => c["space"]!["learning_rate"]!["low"] = -1);

        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("$.space.learning_rate", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Fact]
    public async Task ARelativeStorageOnTheCommandLineIsRelativeToTheCurrentFolderAsForEveryOtherCommand()
    {
        // Given a configuration in one folder and a shell in another
        using var dir = new TempDirectory("cli-relstorage");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(Directory.CreateDirectory(dir["project"]).FullName, worker, trials: 1);
        var shell = Directory.CreateDirectory(dir["shell"]).FullName;

        // When the study is started there with --storage sqlite:mine.db, then queried with the same option
        var start = await SearchCli.RunAsync(shell, "study", "start", config, "--storage", "sqlite:mine.db");
        var status = await SearchCli.RunAsync(shell, "study", "status", "cli-study", "--storage", "sqlite:mine.db");

        // Then the database is in the current folder (it went beside the configuration, where status did not look)
        Assert.True(start.ExitCode == 0, start.Stderr);
        Assert.True(File.Exists(Path.Combine(shell, "mine.db")));
        Assert.False(File.Exists(dir["project/mine.db"]));
        Assert.True(status.ExitCode == 0, status.Stderr);
    }

    [Fact]
    public async Task AWorkerProgramThatIsNotThereExitsWith2BeforeAnyTrialAndCreatesNothing()
    {
        using var dir = new TempDirectory("cli-noworker");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 3,
            tweak: c => c["worker"]!["command"] = new System.Text.Json.Nodes.JsonArray("./no-such-trainer", "{spec}"));

        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {config}: $.worker.command[0]: {dir["no-such-trainer"]} is not an executable file", result.Stderr.Trim());
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Theory]
    [InlineData("space", "conv1_channels", "high", 2048, "$.space.conv1_channels.high: conv1_channels must be an integer in 1..1024, got 2048")]
    [InlineData("fixed", "dropout", null, 0.97, "$.fixed.dropout: dropout must be a number in [0, 0.95], got 0.97")]
    public async Task AValueTheWorkerCannotTrainIsRefusedAtStartWithItsPathAndRange(string section, string name, string? key, double value, string expected)
    {
        // Given a search.json for the real worker with a value the old coordinator table let through (issue 10)
        using var dir = new TempDirectory("cli-range");
        var worker = new FakeWorker { Directory = dir["worker"] }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 1, tweak: c =>
        {
            c.Remove("worker");
            if (key is null) c[section]![name] = value;
            else c[section]![name]![key] = value;
        });

        // When the study is started
        var result = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then one line names the file, the JSON path and the allowed range, exit 2, and nothing is created
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {config}: {expected}", result.Stderr.Trim());
        Assert.False(Directory.Exists(dir["studies"]));
    }

    private static async Task<int> CountAsync(string db, string state)
    {
        if (!File.Exists(db)) return 0;
        await using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM trials WHERE state = '{state}'";
        try { return Convert.ToInt32(await cmd.ExecuteScalarAsync()); }
        catch (SqliteException) { return 0; }
    }

    private static async Task<IReadOnlyList<TrialSnapshot>> TrialsAsync(string db)
    {
        await using var storage = await StorageFactory.OpenAsync("sqlite:" + db, Path.GetDirectoryName(db)!);
        var study = await storage.GetStudyAsync("cli-study");
        return await storage.GetAllTrialsAsync(study!.Id);
    }
}
