using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A RUNNING trial an Optuna client left (ask without tell, no heartbeat) holding the last place of the budget: `study
/// start` waited for it silently, for ever (audit-analysis 2). It says at once what it waits for and how to end the wait,
/// stops waiting once the trial is older than a trial may run, and `study status` marks the trial.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ExternalRunningTrialCliTests
{
    [Fact]
    public async Task AStudyWaitingForAnotherClientsTrialSaysHowToEndTheWaitAndStopsWaitingOnceItIsOlderThanATrialMayRun()
    {
        // Given a created study of two trials (a trial may run 3 s here) whose trial 0 an Optuna client asked for and never told
        using var dir = new TempDirectory("cli-external-running");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, name: "ext", tweak: c => c["budget"]!["trial_timeout_minutes"] = 0.05);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        var url = $"sqlite:///{dir["studies/ext/study.db"]}";
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            t = optuna.load_study(study_name="ext", storage=sys.argv[1]).ask()
            t.suggest_float("learning_rate", 0.0001, 0.01, log=True)
            """, url);

        // When the study starts (it runs trial 1, then only the client's trial 0 is left)
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "ext");
        var start = await SearchCli.RunAsync(TimeSpan.FromSeconds(90), dir.Path, "study", "start", config, "--no-retrain");

        // Then `study status` marked the trial, the run said at once which trial it waits for and the Python line that
        // fails it, then stopped waiting (exit 0, trial 0 still RUNNING and counted); and that line fails the trial
        Assert.Contains("external, no heartbeat", status.Stdout);
        Assert.True(start.ExitCode == 0, start.Stdout + start.Stderr);
        var log = File.ReadAllText(dir["studies/ext/study.log"]);
        Assert.Contains("Waiting for trial 0: RUNNING since", log);
        Assert.Contains("Not waiting any longer for trial(s) 0", log);
        Assert.DoesNotContain("study timeout", log);
        var line = Regex.Match(log, "import optuna; (optuna.load_study\\(.*?FAIL\\))'").Groups[1].Value;
        Assert.Contains($"storage=\"{url}\"", line);
        await OptunaRunner.RunPythonAsync("import optuna\n" + line + "\n");
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "ext", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["FAIL", "COMPLETE"], trials.Select(t => (string)t!["state"]!));
    }

    [Fact]
    public async Task AnotherClientsTrialThatLooksHoursOldIsWaitedForBeforeItIsGivenUp()
    {
        // Given the same study, whose client's trial 0 has a datetime_start five hours back (Optuna writes its local time:
        // a client five hours west of this machine)
        using var dir = new TempDirectory("cli-external-west");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2, name: "west", tweak: c => c["budget"]!["trial_timeout_minutes"] = 0.05);
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        await OptunaRunner.RunPythonAsync("""
            import sys, sqlite3, datetime, optuna
            t = optuna.load_study(study_name="west", storage="sqlite:///" + sys.argv[1]).ask()
            t.suggest_float("learning_rate", 0.0001, 0.01, log=True)
            db = sqlite3.connect(sys.argv[1])
            start = datetime.datetime.fromisoformat(db.execute("select datetime_start from trials where number = 0").fetchone()[0])
            db.execute("update trials set datetime_start = ? where number = 0", ((start - datetime.timedelta(hours=5)).isoformat(sep=" "),))
            db.commit()
            """, dir["studies/west/study.db"]);

        // When the study starts
        var start = await SearchCli.RunAsync(TimeSpan.FromSeconds(90), dir.Path, "study", "start", config, "--no-retrain");

        // Then it first waits for the trial (it gave it up at the first check, without a word of waiting), then stops waiting
        Assert.True(start.ExitCode == 0, start.Stdout + start.Stderr);
        var log = File.ReadAllText(dir["studies/west/study.log"]);
        var waiting = log.IndexOf("Waiting for trial 0: RUNNING since", StringComparison.Ordinal);
        Assert.True(waiting >= 0, log);
        Assert.True(log.IndexOf("Not waiting any longer for trial(s) 0", StringComparison.Ordinal) > waiting, log);
    }

    [Fact]
    public async Task TheFailLineOfAStudyWithQuotesAndACommandInItsNameFailsTheTrialWhenPastedIntoAShell()
    {
        // Given an Optuna study whose name holds ', " and $(...), with a trial asked and never told
        using var dir = new TempDirectory("cli-external-quote");
        const string name = "q'\"$(touch PWNED)\"";
        var url = $"sqlite:///{dir["o.db"]}";
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.create_study(study_name=sys.argv[1], storage=sys.argv[2], direction="maximize").ask()
            """, name, url);

        // When `study status` prints the line that fails it and that line is pasted into bash in the same folder
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", name, "--storage", "sqlite:o.db");
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        var line = Regex.Match(status.Stdout, "fail it: (python3 -c .*)$", RegexOptions.Multiline).Groups[1].Value;
        var bash = new ProcessStartInfo("bash") { WorkingDirectory = dir.Path, RedirectStandardError = true };
        bash.ArgumentList.Add("-c");
        bash.ArgumentList.Add(OptunaRunner.Tool + " " + line);
        using (var pasted = Process.Start(bash)!)
        {
            var stderr = await pasted.StandardError.ReadToEndAsync();
            await pasted.WaitForExitAsync();
            Assert.True(pasted.ExitCode == 0, line + "\n" + stderr);
        }

        // Then no command ran and the trial is FAIL (the name came into the line raw: it ran the command, or broke the line)
        Assert.False(File.Exists(dir["PWNED"]));
        var state = await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            print(optuna.load_study(study_name=sys.argv[1], storage=sys.argv[2]).trials[0].state.name)
            """, name, url);
        Assert.Equal("FAIL", state.Trim());
    }

    [Fact]
    public async Task StudyStatusTakesForAnotherClientsOnlyATrialWithoutAHostAndSaysTheRuleTheWaitUses()
    {
        // Given an Optuna study with two trials asked and never told: trial 0 carries a coordinator's host with a damaged
        // pid (one of ours, its attribute mangled), trial 1 nothing of ours
        using var dir = new TempDirectory("cli-external-rule");
        var url = $"sqlite:///{dir["o.db"]}";
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            study = optuna.create_study(study_name="rule", storage=sys.argv[1], direction="maximize")
            ours = study.ask()
            study._storage.set_trial_system_attr(ours._trial_id, "host", "node7")
            study._storage.set_trial_system_attr(ours._trial_id, "coordinator_pid", "abc")
            study.ask()
            """, url);

        // When `study status` shows the study
        var json = await SearchCli.RunAsync(dir.Path, "study", "status", "rule", "--storage", "sqlite:o.db", "--format", "json");
        var table = await SearchCli.RunAsync(dir.Path, "study", "status", "rule", "--storage", "sqlite:o.db");

        // Then only trial 1 is external, as the run's wait judges (trial 0 was too: "no owner"), and its line gives the
        // rule the wait keeps: timeout plus grace, for a worker too
        Assert.True(json.ExitCode == 0, json.Stdout + json.Stderr);
        var running = JsonNode.Parse(json.Stdout)!["running_trials"]!.AsArray();
        Assert.Equal([(0, false), (1, true)], running.Select(r => ((int)r!["number"]!, (bool)r["external"]!)));
        var line = Assert.Single(table.Stdout.Split('\n'), l => l.StartsWith("Trial 1: written by another client", StringComparison.Ordinal));
        Assert.Contains("`study start`, `resume` or `worker`", line);
        Assert.Contains("trial_timeout_minutes + ", line);
        Assert.DoesNotContain(table.Stdout.Split('\n'), l => l.StartsWith("Trial 0: written by another client", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnderSelectionARepeatStopsWaitingForAnotherClientsAbandonedTrialAndTheStudyEnds()
    {
        // Given a study of four trials choosing between 2 candidates with one repeat each (a trial may run 3 s here) whose
        // trial 0 an Optuna client asked for and never told: once trial 1 and its repeat have run, the last place waits for
        // a running original, trial 0, that may become the second candidate
        using var dir = new TempDirectory("cli-external-selection");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 4, name: "extsel", tweak: c =>
        {
            c["budget"]!["trial_timeout_minutes"] = 0.05;
            c["selection"] = new JsonObject { ["candidates"] = 2, ["repeats"] = 1 };
        });
        Assert.Equal(0, (await SearchCli.RunAsync(dir.Path, "study", "create", config)).ExitCode);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            t = optuna.load_study(study_name="extsel", storage=sys.argv[1]).ask()
            t.suggest_float("learning_rate", 0.0001, 0.01, log=True)
            """, $"sqlite:///{dir["studies/extsel/study.db"]}");

        // When the study starts
        var start = await SearchCli.RunAsync(TimeSpan.FromSeconds(90), dir.Path, "study", "start", config, "--no-retrain");

        // Then it stopped waiting for trial 0 once it was older than a trial may run, as it said, ran a new configuration in
        // that place, and ended (it logged "Not waiting any longer" and waited on until killed)
        Assert.True(start.ExitCode == 0, start.Stdout + start.Stderr);
        var log = File.ReadAllText(dir["studies/extsel/study.log"]);
        Assert.Contains("Not waiting any longer for trial(s) 0", log);
        var trials = JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "trials", "list", "extsel", "--format", "json")).Stdout)!.AsArray();
        Assert.Equal(["RUNNING", "COMPLETE", "COMPLETE", "COMPLETE"], trials.Select(t => (string)t!["state"]!));
    }
}
