using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Study;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// The query commands (`study list|status|best`, `trials list|show|sql`) run as the real command line on a
/// study the test makes: four trials of a fake worker, trial 2 crashing. Bad input → one line on stderr, exit 2.
/// </summary>
public sealed class QueryCliTests : IClassFixture<QueryCliTests.StudyFolder>
{
    private readonly StudyFolder _study;

    public QueryCliTests(StudyFolder study) => _study = study;

    public sealed class StudyFolder : IAsyncLifetime
    {
        private readonly TempDirectory _dir = new("cli-query");

        public string Path => _dir.Path;

        public async Task InitializeAsync()
        {
            var worker = new FakeWorker
            {
                Directory = _dir["worker"], Epochs = 2, EpochSeconds = 0.01,
                Behaviours = { [2] = FakeWorker.Behaviour.Crash },
            }.Write();
            // A whole float among the fixed values (0.0, as a user writes it): JSON gives it as a float, as it does the params.
            var config = StudyFiles.WriteConfig(Path, worker, trials: 4, name: "q", tweak: c => c["fixed"]!["dropout"] = JsonNode.Parse("0.0"));
            var start = await SearchCli.RunAsync(Path, "study", "start", config);
            Assert.True(start.ExitCode == 0, start.Stderr);
        }

        public Task DisposeAsync()
        {
            _dir.Dispose();
            return Task.CompletedTask;
        }
    }

    private async Task<JsonNode> JsonAsync(params string[] args)
    {
        var r = await SearchCli.RunAsync(_study.Path, args);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr}");
        return JsonNode.Parse(r.Stdout)!;
    }

    [Fact]
    public async Task StudyListWhereThereIsNoStudySaysWhereItLookedAndJsonIsAnEmptyList()
    {
        // Given a folder with no studies below it
        using var empty = new TempDirectory("cli-query-empty");

        // When studies are listed as a table and as JSON
        var table = await SearchCli.RunAsync(empty.Path, "study", "list");
        var json = await SearchCli.RunAsync(empty.Path, "study", "list", "--format", "json");

        // Then the table's place says where it looked and how to look elsewhere; JSON is []
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains($"No studies under {System.IO.Path.Combine(empty.Path, "studies")}", table.Stdout);
        Assert.Contains("--studies-dir DIR or --storage URL", table.Stdout);
        Assert.Empty(JsonNode.Parse(json.Stdout)!.AsArray());
    }

    [Fact]
    public async Task StudyListStatusAndBestAgreeOnCountsAndTheBestTrial()
    {
        // When
        var list = (await JsonAsync("study", "list", "--format", "json")).AsArray();
        var status = await JsonAsync("study", "status", "q", "--format", "json");
        var best = await JsonAsync("study", "best", "q", "--format", "json");

        // Then: the fake worker scores trial n as 0.5 + n/100 + epoch/1000, so trial 3 is best with 0.532
        var row = Assert.Single(list);
        Assert.Equal("q", (string?)row!["study"]);
        Assert.Equal((4, 3, 1), ((int)row["trials"]!, (int)row["complete"]!, (int)row["failed"]!));
        Assert.Equal(3, (int)status["counts"]!["complete"]!);
        Assert.Equal(1, (int)status["counts"]!["failed"]!);
        Assert.Equal(3, (int)status["best_trial"]!);
        Assert.Equal(0.532, (double)status["best_value"]!, 9);
        Assert.Equal(3, (int)best["number"]!);
        Assert.Equal(0.532, (double)best["value"]!, 9);
        Assert.Equal(new[] { "conv1_channels", "learning_rate", "batch_size" }.Order(), best["params"]!.AsObject().Select(p => p.Key).Order());
    }

    [Fact]
    public async Task TheBestParametersTableShowsFractionsAsTheStudysOwnSummaryDoes()
    {
        // When the best trial is asked for as JSON and as a table
        var best = await JsonAsync("study", "best", "q", "--format", "json");
        var table = await SearchCli.RunAsync(_study.Path, "study", "best", "q");

        // Then the table gives the learning rate to 6 significant digits (as `study start` prints it), the JSON every digit
        var rate = (double)best["params"]!["learning_rate"]!;
        Assert.True(rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Length > 10, $"a learning rate with many digits: {rate}");
        var row = Assert.Single(table.Stdout.Split('\n'), l => l.Contains("learning_rate"));
        Assert.Contains($" {rate.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} ", row);
        Assert.Contains(table.Stdout.Split('\n'), l => l.Contains("conv1_channels") && l.Contains($" {(int)best["params"]!["conv1_channels"]!} "));
    }

    [Fact]
    public async Task StatusAndBestListTheFixedHyperparametersAsStudyStartDoes()
    {
        // When the best configuration is asked for in both formats (the study fixes "optimizer": "adam" and "dropout": 0.0)
        var status = await JsonAsync("study", "status", "q", "--format", "json");
        var best = await JsonAsync("study", "best", "q", "--format", "json");
        var statusTable = await SearchCli.RunAsync(_study.Path, "study", "status", "q");
        var bestTable = await SearchCli.RunAsync(_study.Path, "study", "best", "q");

        // Then each names the fixed values beside the searched ones: without them the configuration could not be run
        // again; a whole float keeps its ".0" (it was 0, which a Python script reads as an int)
        Assert.Equal("""{"optimizer":"adam","dropout":0.0}""", status["fixed"]!.ToJsonString());
        Assert.Equal("""{"optimizer":"adam","dropout":0.0}""", best["fixed"]!.ToJsonString());
        foreach (var table in new[] { statusTable, bestTable })
        {
            Assert.True(table.ExitCode == 0, table.Stderr);
            Assert.Contains(table.Stdout.Split('\n'), l => l.Contains("optimizer (fixed)") && l.Contains(" adam "));
        }
    }

    [Fact]
    public async Task StatusSaysHowMuchOfTheBudgetIsDone()
    {
        // When the status of the study of 4 trials (one crashed: spent, as the coordinators count it) is asked for
        var json = await JsonAsync("study", "status", "q", "--format", "json");
        var table = await SearchCli.RunAsync(_study.Path, "study", "status", "q");

        // Then it says how far the budget is, not only the counts by state
        Assert.Equal("""{"trials":4,"used":4,"running":0,"waiting":0,"left":0}""", json["budget"]!.ToJsonString());
        Assert.Contains(table.Stdout.Split('\n'), l => l.Contains("budget") && l.Contains("4 of 4 trials done"));
    }

    [Fact]
    public async Task AStudyWithNoTrialsYetListsItsParameterColumns()
    {
        // Given a study created and not yet run
        using var dir = new TempDirectory("cli-query-none");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        var create = await SearchCli.RunAsync(dir.Path, "study", "create", StudyFiles.WriteConfig(dir.Path, worker, trials: 2, name: "empty"));
        Assert.True(create.ExitCode == 0, create.Stderr);

        // When its trials are listed as CSV
        var csv = await SearchCli.RunAsync(dir.Path, "trials", "list", "empty", "--format", "csv");

        // Then the header has the space's parameters, as it will once trials run (a script reads columns by name)
        Assert.True(csv.ExitCode == 0, csv.Stderr);
        Assert.Equal("number,state,value,epochs_done,duration_s,device,conv1_channels,learning_rate,batch_size,error", csv.Stdout.Trim());
    }

    [Fact]
    public async Task TrialsShowOfAMovedStudyNamesItsFilesWhereTheyNowAre()
    {
        // Given a study run in run/, its folder then moved to archive/, and a new study of the same name run in run/
        using var dir = new TempDirectory("cli-query-moved");
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1, EpochSeconds = 0.01 }.Write();
        foreach (var folder in new[] { "run", "archive" }) Directory.CreateDirectory(dir[folder]);
        Assert.Equal(0, (await SearchCli.RunAsync(dir["run"], "study", "start", StudyFiles.WriteConfig(dir["run"], worker, trials: 1))).ExitCode);
        Directory.Move(dir["run/studies"], dir["archive/studies"]);
        Assert.Equal(0, (await SearchCli.RunAsync(dir["run"], "study", "start", StudyFiles.WriteConfig(dir["run"], worker, trials: 1))).ExitCode);

        // When the archived study's trial is shown from archive/
        var r = await SearchCli.RunAsync(dir["archive"], "trials", "show", "cli-study", "0", "--format", "json");

        // Then its folder and logs are the archive's, which exist (they named run/, which now holds the other study's)
        Assert.True(r.ExitCode == 0, r.Stderr);
        var shown = JsonNode.Parse(r.Stdout)!;
        Assert.Equal(dir["archive/studies/cli-study/trials/0"], (string?)shown["trial_dir"]);
        Assert.Equal(dir["archive/studies/cli-study/trials/0/stdout.log"], (string?)shown["stdout_log"]);
        Assert.True(File.Exists((string)shown["stderr_log"]!), (string?)shown["stderr_log"]);
    }

    [Fact]
    public async Task EveryCommandsJsonGivesAFactOneNameAndOneShape()
    {
        // When the study, its trials and one trial are read as JSON
        var list = (await JsonAsync("study", "list", "--format", "json")).AsArray().Single(s => (string)s!["study"]! == "q")!;
        var status = await JsonAsync("study", "status", "q", "--format", "json");
        var trials = (await JsonAsync("trials", "list", "q", "--format", "json")).AsArray();
        var failed = (await JsonAsync("trials", "list", "q", "--state", "failed", "--format", "json")).AsArray();
        var shown = await JsonAsync("trials", "show", "q", "0", "--format", "json");

        // Then a trial's parameters are one object, params, in the list as in show (they were keys beside the trial's own
        // in the list); epochs done are a number named as study status names it (the list's "epochs" was a number and
        // show's a list); the counts by state are named alike in study list and study status ("complete" and
        // "COMPLETE", "failed" and "FAIL"), and --state takes those words; "running" is a count everywhere, the
        // running trials a list of their own
        Assert.Equal(shown["params"]!.ToJsonString(), trials[0]!["params"]!.ToJsonString());
        Assert.Equal(shown["epochs"]!.AsArray().Count, (int)trials[0]!["epochs_done"]!);
        // and trials show names the same count alike (a script reading one trial had to count its "epochs")
        Assert.Equal((int)trials[0]!["epochs_done"]!, (int?)shown["epochs_done"]);
        Assert.Equal(2, (int?)shown["epochs_done"]);
        Assert.Null(trials[0]!["learning_rate"]);
        foreach (var word in new[] { "complete", "pruned", "failed", "running", "waiting" })
            Assert.Equal((int)list[word]!, (int)status["counts"]![word]!);
        Assert.Equal([2], failed.Select(t => (int)t!["number"]!));
        Assert.Equal(0, (int)list["running"]!);
        Assert.Empty(status["running_trials"]!.AsArray());
    }

    [Fact]
    public async Task TrialsListFiltersSortsAndCutsInEveryFormat()
    {
        // When
        var top = (await JsonAsync("trials", "list", "q", "--state", "COMPLETE", "--sort", "value", "--top", "2", "--format", "json")).AsArray();
        var best = (await JsonAsync("trials", "list", "q", "--top", "2", "--format", "json")).AsArray();
        var first = (await JsonAsync("trials", "list", "q", "--sort", "number", "--top", "2", "--format", "json")).AsArray();
        var csv = await SearchCli.RunAsync(_study.Path, "trials", "list", "q", "--format", "csv");
        var table = await SearchCli.RunAsync(_study.Path, "trials", "list", "q");

        // Then
        Assert.Equal(new[] { 3, 1 }, top.Select(t => (int)t!["number"]!));
        Assert.All(top, t => Assert.Equal("COMPLETE", (string?)t!["state"]));
        // --top alone gives the best trials; with --sort number, the first ones
        Assert.Equal(new[] { 3, 1 }, best.Select(t => (int)t!["number"]!));
        Assert.Equal(new[] { 0, 1 }, first.Select(t => (int)t!["number"]!));
        var lines = csv.Stdout.Trim().Split('\n');
        Assert.StartsWith("number,state,value,epochs_done,duration_s,device,", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("2,FAIL,,", lines[3]);
        // A table written to a pipe keeps each trial on one line (not folded to 80 columns).
        Assert.Equal(0, table.ExitCode);
        Assert.Contains(table.Stdout.Split('\n'), l => l.Contains("FAIL") && l.Contains("cpu:0") && l.Contains("number") == false && l.Count(c => c == '│') >= 8);
    }

    [Fact]
    public async Task TrialsListOfTheFailedTrialsSaysWhyEachFailed()
    {
        // When the failed trials are listed in every format (as the study's "all trials failed" line and README say),
        // and the good ones as a table
        var json = (await JsonAsync("trials", "list", "q", "--state", "FAIL", "--format", "json")).AsArray();
        var csv = await SearchCli.RunAsync(_study.Path, "trials", "list", "q", "--state", "FAIL", "--format", "csv");
        var table = await SearchCli.RunAsync(_study.Path, "trials", "list", "q", "--state", "FAIL");
        var good = await SearchCli.RunAsync(_study.Path, "trials", "list", "q", "--state", "COMPLETE");

        // Then each gives trial 2's reason, as trials show does; a list without failures keeps its table narrow
        var failed = Assert.Single(json);
        Assert.Equal(2, (int)failed!["number"]!);
        Assert.Contains("simulated crash", (string?)failed["error"]);
        Assert.Contains("simulated crash", csv.Stdout.Trim().Split('\n')[1]);
        Assert.EndsWith(",error", csv.Stdout.Trim().Split('\n')[0]);
        Assert.Contains(table.Stdout.Split('\n'), l => l.Contains("FAIL") && l.Contains("simulated crash"));
        Assert.Equal(0, good.ExitCode);
        Assert.DoesNotContain("error", good.Stdout);
        var completed = (await JsonAsync("trials", "list", "q", "--state", "COMPLETE", "--format", "json")).AsArray();
        Assert.All(completed, t => Assert.Null(t!["error"]));
    }

    [Fact]
    public async Task TrialsShowGivesTheCurveOfACompletedTrialAndTheErrorOfAFailedOne()
    {
        // When
        var done = await JsonAsync("trials", "show", "q", "1", "--format", "json");
        var failed = await JsonAsync("trials", "show", "q", "2", "--format", "json");

        // Then
        Assert.Equal(0.511, (double)done["intermediate_values"]!["1"]!, 9);
        Assert.Equal(0.512, (double)done["intermediate_values"]!["2"]!, 9);
        Assert.Equal(2, done["epochs"]!.AsArray().Count);
        Assert.Equal("cpu:0", (string?)done["device"]);
        Assert.True(File.Exists((string)done["stdout_log"]!));
        Assert.Equal("FAIL", (string?)failed["state"]);
        Assert.Contains("simulated crash", (string?)failed["error"]);
        Assert.Contains("code 7", (string?)failed["error"]);
    }

    [Fact]
    public async Task TrialsSqlReadsButSqliteItselfRefusesWrites()
    {
        // When
        var count = await SearchCli.RunAsync(_study.Path, "trials", "sql", "q", "SELECT COUNT(*) AS n FROM trials", "--format", "csv");
        var delete = await SearchCli.RunAsync(_study.Path, "trials", "sql", "q", "DELETE FROM trials");
        var cteDelete = await SearchCli.RunAsync(_study.Path, "trials", "sql", "q", "WITH x AS (SELECT 1) DELETE FROM trials");
        var after = await SearchCli.RunAsync(_study.Path, "trials", "sql", "q", "SELECT COUNT(*) AS n FROM trials", "--format", "json");

        // Then a DELETE is refused by the query guard, and one dressed as a query by SQLite's read-only connection
        Assert.Equal("n\n4", count.Stdout.Trim().Replace("\r", ""));
        Assert.Equal(2, delete.ExitCode);
        Assert.Contains("runs queries only", delete.Stderr);
        Assert.Equal(2, cteDelete.ExitCode);
        Assert.Contains("readonly", cteDelete.Stderr);
        Assert.Equal(4, (int)JsonNode.Parse(after.Stdout)![0]!["n"]!);
    }

    [Fact]
    public async Task TrialsSqlKeepsAlikeNamedColumnsBlobsAndEveryDigit()
    {
        // When a query names two columns alike, returns a BLOB and a number with more than six digits, as CSV and JSON
        const string sql = "SELECT 1 AS a, 2 AS a, X'CAFE' AS b, 0.123456789012 AS c";
        var csv = await SearchCli.RunAsync(_study.Path, "trials", "sql", "q", sql, "--format", "csv");
        var json = await SearchCli.RunAsync(_study.Path, "trials", "sql", "q", sql, "--format", "json");

        // Then the second column is a_2 (it was a crash), the BLOB is hex (it was System.Byte[]), and CSV keeps every digit
        Assert.True(csv.ExitCode == 0, csv.Stderr);
        Assert.Equal("a,a_2,b,c\n1,2,0xCAFE,0.123456789012", csv.Stdout.Trim().Replace("\r", ""));
        Assert.True(json.ExitCode == 0, json.Stderr);
        var row = JsonNode.Parse(json.Stdout)![0]!;
        Assert.Equal((1, 2, "0xCAFE", 0.123456789012), ((int)row["a"]!, (int)row["a_2"]!, (string)row["b"]!, (double)row["c"]!));
    }

    [Fact]
    public async Task StudyListPassesOverFoldersItMayNotRead()
    {
        // When the studies folder holds folders nobody may list (/proc/1/map_files; it was a stack trace)
        var r = await SearchCli.RunAsync(_study.Path, "study", "list", "--studies-dir", "/proc", "--format", "json");

        // Then it finds no study there, and says so without an error
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("[]", r.Stdout.Trim());
    }

    [Fact]
    public async Task AnUnreachableDatabaseServerIsAFailureOfOneLineNotBadInput()
    {
        // When a command is pointed at a PostgreSQL port nobody listens on
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = await SearchCli.RunAsync(_study.Path, "study", "status", "q", "--storage", "postgresql://u:secret@127.0.0.1:1/db");
        clock.Stop();

        // Then it fails with exit code 1 as README says (a script may try again later; it was 2, "bad input"), on one
        // line naming the server without the password
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("storage postgresql://u:***@127.0.0.1:1/db: cannot reach the database server", line);
        // at once, as psql says it, not after 9 s of silent retries (the bound leaves room for a slow machine; the
        // retries alone took 9 s)
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Theory]
    [InlineData("unknown study 'nope'", "study", "status", "nope")]
    [InlineData("unknown study 'nope'", "study", "best", "nope")]
    [InlineData("unknown study 'nope'", "trials", "list", "nope")]
    [InlineData("unknown study 'nope'", "study", "export", "nope", "--out", "x")]
    [InlineData("unknown study 'nope'", "study", "retrain", "nope")]
    [InlineData("unknown study 'nope'", "study", "report", "nope")]
    [InlineData("no trial 99", "trials", "show", "q", "99")]
    [InlineData("<number>:", "trials", "show", "q", "abc")]
    [InlineData("--format: Argument 'xml' not recognized", "trials", "list", "q", "--format", "xml")]
    [InlineData("--format: Argument 'pickle' not recognized", "study", "export", "q", "--out", "x", "--format", "pickle")]
    [InlineData("--state: unknown state 'DONE'", "trials", "list", "q", "--state", "DONE")]
    // (numbers and flag lists were taken: "1" listed COMPLETE trials, "COMPLETE,PRUNED" the FAIL ones)
    [InlineData("--state: unknown state '1'", "trials", "list", "q", "--state", "1")]
    [InlineData("--state: unknown state 'COMPLETE,PRUNED'", "trials", "list", "q", "--state", "COMPLETE,PRUNED")]
    // (a folder that does not exist was "not a model folder"; a study's best/ before any retrain is told how to get one)
    [InlineData("no-such-folder: does not exist", "predict", "--model", "no-such-folder", "digit.png")]
    [InlineData("studies/q/best: does not exist (no retrained model yet: `study retrain q`, or `study export q --out DIR [--trial N]` and `predict --model DIR`)", "predict", "--model", "studies/q/best", "digit.png")]
    [InlineData("--epochs: must be an integer in 1..10000, got 100000", "study", "retrain", "q", "--epochs", "100000")]
    [InlineData("--out /etc/passwd: is a file, not a folder", "study", "report", "q", "--out", "/etc/passwd")]
    [InlineData("--out /etc/passwd/x: cannot create it", "study", "report", "q", "--out", "/etc/passwd/x")]
    [InlineData("--out: must name a folder", "study", "report", "q", "--out", " ")]
    [InlineData("--top: only with --from-study", "study", "enqueue", "q", "--param", "learning_rate=0.001", "--top", "2")]
    [InlineData("--from-storage: only with --from-study", "study", "enqueue", "q", "--param", "learning_rate=0.001", "--from-storage", "sqlite:x.db")]
    [InlineData("--top: Cannot parse argument '99999999999' for option '--top' as a whole number (at most 2147483647)", "study", "enqueue", "q", "--from-study", "q", "--top", "99999999999")]
    [InlineData("--epochs: Cannot parse argument '99999999999' for option '--epochs' as a whole number (at most 2147483647)", "study", "retrain", "q", "--epochs", "99999999999")]
    [InlineData("--out: must name a folder", "study", "export", "q", "--out", "")]
    [InlineData("config: a configuration file path is required, got an empty one", "study", "create", "")]
    // (a mistyped option before the file name was taken for it: "…/--no-retrian: $: config file not found")
    [InlineData("error: unknown option --no-retrian (did you mean --no-retrain?)", "study", "start", "--no-retrian")]
    [InlineData("error: unknown option --stroage (did you mean --storage?)", "study", "create", "--stroage")]
    [InlineData("--studies-dir: must name a folder, got an empty one", "study", "status", "q", "--studies-dir", "")]
    [InlineData("--studies-dir: must name a folder, got an empty one", "study", "list", "--studies-dir", "")]
    // (the configuration file study start took, given for the name: "unknown study 'search.json': studies/search.json/study.db does not exist")
    [InlineData("'search.json' is a file: this command takes a study's name, not its configuration (its study: q)", "study", "status", "search.json")]
    [InlineData("'search.json' is a file: this command takes a study's name, not its configuration (its study: q)", "trials", "list", "search.json")]
    // (run from another folder than the configuration's: it named only --storage)
    [InlineData("unknown study 'nope': ", "study", "status", "nope")]
    [InlineData("for a study elsewhere give --studies-dir DIR, the folder of its study folder, or --storage URL", "trials", "list", "nope")]
    // (several parse errors printed a line each)
    [InlineData("; ", "trials", "show")]
    [InlineData("--bogus", "trials", "list", "q", "--bogus", "x")]
    [InlineData("--studies-dir /etc/passwd: is a file, not a folder", "study", "list", "--studies-dir", "/etc/passwd")]
    public async Task BadInputGivesOneClearLineAndExitCodeTwo(string expected, params string[] args)
    {
        // When
        var r = await SearchCli.RunAsync(_study.Path, args);

        // Then
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
        Assert.Equal("", r.Stdout.Trim());
    }
}
