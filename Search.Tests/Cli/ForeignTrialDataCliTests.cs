using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `trials show` and `trials list` on trials written by another Optuna client, with what Optuna legitimately stores:
/// any user attribute under any key, and NaN / ±Infinity values (value_type and intermediate_value_type).
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ForeignTrialDataCliTests
{
    [Theory]
    [InlineData("10")]
    [InlineData("[1, 2]")]
    [InlineData("{\"epochs\": 3}")]
    [InlineData("not json at all")]
    public async Task ATrialWhoseEpochsAttributeIsNotThisToolsIsShownAsItIs(string valueJson)
    {
        // Given trial 0 whose "epochs" user attribute an Optuna client set to something else (trial.set_user_attr("epochs", 10))
        using var dir = new TempDirectory("foreign-attr");
        await QueryStudy.CreateAsync("sqlite:s.db", dir.Path);
        await ExecuteAsync(dir["s.db"], "INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES (1, 'epochs', @V)", new { V = valueJson });

        // When it is shown as a table and as JSON
        var table = await SearchCli.RunAsync(dir.Path, "trials", "show", "q", "0", "--storage", "sqlite:s.db");
        var json = await SearchCli.RunAsync(dir.Path, "trials", "show", "q", "0", "--storage", "sqlite:s.db", "--format", "json");

        // Then both succeed (a stack trace and exit 1 before) and the JSON is valid
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.NotNull(JsonNode.Parse(json.Stdout)!["epochs"]);
    }

    [Fact]
    public async Task NonFiniteValuesAreWrittenAsTheSameStringsByShowAndList()
    {
        // Given trial 0 with an intermediate value NaN and trial 1 whose value is +Infinity, as Optuna stores them
        using var dir = new TempDirectory("foreign-nan");
        await QueryStudy.CreateAsync("sqlite:s.db", dir.Path);
        await ExecuteAsync(dir["s.db"], "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES (1, 2, NULL, 'NAN')");
        await ExecuteAsync(dir["s.db"], "UPDATE trial_values SET value = NULL, value_type = 'INF_POS' WHERE trial_id = 2");

        // When they are read as JSON
        var show0 = await SearchCli.RunAsync(dir.Path, "trials", "show", "q", "0", "--storage", "sqlite:s.db", "--format", "json");
        var show1 = await SearchCli.RunAsync(dir.Path, "trials", "show", "q", "1", "--storage", "sqlite:s.db", "--format", "json");
        var list = await SearchCli.RunAsync(dir.Path, "trials", "list", "q", "--storage", "sqlite:s.db", "--format", "json");

        // Then every command succeeds with valid JSON (show exited 2 with nothing on stdout), writing the same strings
        Assert.True(show0.ExitCode == 0, show0.Stderr);
        Assert.True(show1.ExitCode == 0, show1.Stderr);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Equal("NaN", (string)JsonNode.Parse(show0.Stdout)!["intermediate_values"]!["2"]!);
        Assert.Equal("Infinity", (string)JsonNode.Parse(show1.Stdout)!["value"]!);
        Assert.Equal("Infinity", (string)JsonNode.Parse(list.Stdout)!.AsArray().Single(t => (int)t!["number"]! == 1)!["value"]!);
    }

    [Fact]
    public async Task AParameterNamedLikeATrialColumnIsListedBesideItNotInItsPlace()
    {
        // Given a trial whose parameters are called "state" and "value" (a custom trainer's, or another client's)
        using var dir = new TempDirectory("foreign-names");
        await using (var storage = await Mnist.Search.Storage.StorageFactory.OpenAsync("sqlite:s.db", dir.Path))
        {
            var (study, _) = await storage.CreateStudyAsync("q", Mnist.Search.Vocabulary.StudyDirection.MAXIMIZE);
            var t = await storage.CreateTrialAsync(study.Id, Mnist.Search.Vocabulary.TrialState.RUNNING, new Dictionary<string, (Mnist.Search.Space.ParameterDistribution, double)>
            {
                ["state"] = (new Mnist.Search.Space.FloatDistribution(0, 1), 0.25),
                ["value"] = (new Mnist.Search.Space.FloatDistribution(0, 1), 0.75),
            });
            await storage.FinishTrialAsync(t.Id, Mnist.Search.Vocabulary.TrialState.COMPLETE, 0.5);
        }

        // When the trials are listed as JSON and CSV
        var json = await SearchCli.RunAsync(dir.Path, "trials", "list", "q", "--storage", "sqlite:s.db", "--format", "json");
        var csv = await SearchCli.RunAsync(dir.Path, "trials", "list", "q", "--storage", "sqlite:s.db", "--format", "csv");

        // Then the trial's state and value stay; the parameters are in JSON's params and CSV's params_state and
        // params_value columns (the parameter replaced the state in CSV, with duplicate headers, and JSON failed on a
        // duplicate key)
        Assert.True(json.ExitCode == 0, json.Stderr);
        var row = JsonNode.Parse(json.Stdout)!.AsArray().Single()!;
        Assert.Equal(("COMPLETE", 0.5, 0.25, 0.75), ((string)row["state"]!, (double)row["value"]!, (double)row["params"]!["state"]!, (double)row["params"]!["value"]!));
        var header = csv.Stdout.Split('\n')[0].Trim().Split(',');
        Assert.Equal(header.Length, header.Distinct().Count());
        Assert.Contains("params_state", header);
    }

    [Fact]
    public async Task AnOptunaCategoricalWithInfinityAndNaNAmongItsChoicesIsListedShownAndRanked()
    {
        // Given a study written by Optuna 4 whose categorical has inf, nan and -inf among its choices (Python's
        // json.dumps stores them as the bare tokens Infinity, NaN, -Infinity), one trial per choice, the inf one best,
        // and a plain study beside it in the same storage
        using var dir = new TempDirectory("foreign-nonfinite-choice");
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            from optuna.distributions import CategoricalDistribution
            nan = float("nan")  # the same object, so choices.index finds it
            choices = [1.0, float("inf"), nan, float("-inf")]
            study = optuna.create_study(study_name="weird", storage=sys.argv[1], direction="maximize")
            for z, value in zip(choices, [0.1, 0.9, 0.3, 0.2]):
                study.add_trial(optuna.trial.create_trial(params={"z": z}, distributions={"z": CategoricalDistribution(choices)}, value=value))
            plain = optuna.create_study(study_name="plain", storage=sys.argv[1], direction="maximize")
            plain.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
            """, $"sqlite:///{dir["w.db"]}");

        // When the studies are listed, the study's status is asked and its trials are listed and shown
        var list = await SearchCli.RunAsync(dir.Path, "study", "list", "--storage", "sqlite:w.db", "--format", "json");
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "weird", "--storage", "sqlite:w.db");
        var trials = await SearchCli.RunAsync(dir.Path, "trials", "list", "weird", "--storage", "sqlite:w.db", "--format", "json");
        var show = await SearchCli.RunAsync(dir.Path, "trials", "show", "weird", "2", "--storage", "sqlite:w.db", "--format", "json");

        // Then each succeeds (each exited 1 with a JsonReaderException stack trace, study list for every study of the
        // storage) and shows the choices as the strings non-finite values are always written as
        foreach (var r in new[] { list, status, trials, show }) Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["weird", "plain"], JsonNode.Parse(list.Stdout)!.AsArray().Select(s => (string)s!["study"]!));
        Assert.Equal(0.9, (double)JsonNode.Parse(list.Stdout)!.AsArray()[0]!["best_value"]!);
        Assert.Matches(@"z\s*│\s*Infinity", status.Stdout);
        var z = JsonNode.Parse(trials.Stdout)!.AsArray().Select(t => t!["params"]!["z"]!.ToJsonString()).ToArray();
        // (the float choice 1.0 keeps its ".0", as Optuna's JSON writes it and Optuna's trial.params gives it)
        Assert.Equal(["1.0", "\"Infinity\"", "\"NaN\"", "\"-Infinity\""], z);
        Assert.Equal("NaN", (string)JsonNode.Parse(show.Stdout)!["params"]!["z"]!);
    }

    [Fact]
    public async Task ADistributionThatCannotBeReadIsNamedInOneLine()
    {
        // Given an Optuna 4 study whose trial 1's distribution_json was left unreadable (a token no JSON has)
        using var dir = new TempDirectory("foreign-bad-distribution");
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            study = optuna.create_study(study_name="weird", storage=sys.argv[1], direction="maximize")
            study.optimize(lambda t: t.suggest_float("lr", 0, 1), n_trials=2)
            """, $"sqlite:///{dir["w.db"]}");
        await ExecuteAsync(dir["w.db"], """
            UPDATE trial_params SET distribution_json = '{"name": "CategoricalDistribution", "attributes": {"choices": [1.0, Inf]}}'
            WHERE trial_id = (SELECT trial_id FROM trials WHERE number = 1)
            """);

        // When its trials and the storage's studies are listed
        var trials = await SearchCli.RunAsync(dir.Path, "trials", "list", "weird", "--storage", "sqlite:w.db");
        var list = await SearchCli.RunAsync(dir.Path, "study", "list", "--storage", "sqlite:w.db");

        // Then both are refused in one line naming the trial and the parameter, with no stack trace
        foreach (var r in new[] { trials, list })
        {
            Assert.Equal(2, r.ExitCode);
            var line = Assert.Single(r.Stderr.Trim().Split('\n'));
            Assert.StartsWith("error: trial 1 (id 2), parameter 'lr': distribution_json {", line);
        }
    }

    [Fact]
    public async Task AStepBeyondAnIntIsNamedInOneLineAndStudyListSkipsItsDatabase()
    {
        // Given an Optuna 4 study whose trial reported at step 2^40 (Optuna's steps are any int), in a studies folder
        using var dir = new TempDirectory("foreign-big-step");
        Directory.CreateDirectory(dir["studies/big"]);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            study = optuna.create_study(study_name="big", storage=sys.argv[1], direction="maximize")
            t = study.ask(); t.suggest_float("x", 0, 1); t.report(0.3, 2**40); study.tell(t, 0.5)
            """, $"sqlite:///{dir["studies/big/study.db"]}");

        // When its trials are listed, and the studies of the folder
        var trials = await SearchCli.RunAsync(dir.Path, "trials", "list", "big");
        var list = await SearchCli.RunAsync(dir.Path, "study", "list");

        // Then the trial and its step are named in one line (it was read as step 0, silently), and study list goes on
        // with a warning naming the database
        Assert.Equal(2, trials.ExitCode);
        Assert.Equal("error: trial 0 (id 1): an intermediate value at step 1099511627776, beyond the steps this tool reads (-2147483648 to 2147483647)",
            Assert.Single(trials.Stderr.Trim().Split('\n')));
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains("warning: skipped", list.Stderr);
        Assert.Contains("step 1099511627776", list.Stderr);
    }

    private static async Task ExecuteAsync(string db, string sql, object? args = null)
    {
        await using var c = new SqliteConnection($"Data Source={db};Pooling=false");
        await c.OpenAsync();
        await c.ExecuteAsync(sql, args);
    }
}
