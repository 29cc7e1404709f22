using System.Text.Json.Nodes;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// A multi-objective study Optuna 4 wrote was read as a single-objective one: its first direction shown as the
/// study's, a "best" trial ranked by the first objective alone, and an earlier study's "best" configurations seeded
/// from that ranking.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class MultiObjectiveStudyCliTests
{
    [Fact]
    public async Task AMultiObjectiveStudyIsListedWithoutABestCommandsThatRankItRefuseItAndDeleteDeletesIt()
    {
        // Given a study with two objectives and two finished trials, made by Optuna 4
        using var dir = new TempDirectory("cli-multi-objective");
        Directory.CreateDirectory(dir["studies/mo"]);
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            study = optuna.create_study(study_name="mo", storage=sys.argv[1], directions=["maximize", "minimize"])
            study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=2)
            """, $"sqlite:///{dir["studies/mo/study.db"]}");

        // When it is listed, queried and used as a source of configurations
        var list = await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json");
        var best = await SearchCli.RunAsync(dir.Path, "study", "best", "mo");
        var status = await SearchCli.RunAsync(dir.Path, "study", "status", "mo");
        var sql = await SearchCli.RunAsync(dir.Path, "trials", "sql", "mo", "SELECT COUNT(*) AS n FROM trial_values", "--format", "json");

        // Then it is listed as a study of two objectives with no best, each ranking command refuses it in one line, and
        // its rows stay readable by SQL
        Assert.True(list.ExitCode == 0, list.Stderr);
        var row = Assert.Single(JsonNode.Parse(list.Stdout)!.AsArray())!;
        Assert.Equal(("2 objectives", null), ((string?)row["direction"], (double?)row["best_value"]));
        foreach (var refused in new[] { best, status })
        {
            Assert.Equal(2, refused.ExitCode);
            Assert.StartsWith("error: study 'mo' in ", refused.Stderr.Trim());
            Assert.Contains("has 2 objectives (an Optuna multi-objective study); this tool searches and ranks one", Assert.Single(refused.Stderr.Trim().Split('\n')));
        }
        Assert.True(sql.ExitCode == 0, sql.Stderr);
        Assert.Equal(4, (int)JsonNode.Parse(sql.Stdout)!.AsArray()[0]!["n"]!);

        // And deleting it, which neither searches nor ranks it, deletes it with its trials
        var deleted = await SearchCli.RunAsync(dir.Path, "study", "delete", "mo", "--format", "json");
        Assert.True(deleted.ExitCode == 0, deleted.Stderr);
        Assert.Equal(2, (int)JsonNode.Parse(deleted.Stdout)!["trials_deleted"]!);
        Assert.Empty(JsonNode.Parse((await SearchCli.RunAsync(dir.Path, "study", "list", "--format", "json")).Stdout)!.AsArray());
    }

    [Theory]
    [InlineData("start")]
    [InlineData("create")]
    public async Task StudyStartAndCreateRefuseAMultiObjectiveStudyOfTheNameAndWriteNothing(string verb)
    {
        // Given a study with two objectives and no trials, made by Optuna 4 under the name a configuration gives
        using var dir = new TempDirectory("cli-multi-objective-start");
        Directory.CreateDirectory(dir["studies/cli-study"]);
        var url = $"sqlite:///{dir["studies/cli-study/study.db"]}";
        await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            optuna.create_study(study_name="cli-study", storage=sys.argv[1], directions=["maximize", "minimize"])
            """, url);
        var worker = new FakeWorker { Directory = dir["worker"], Epochs = 1 }.Write();
        var config = StudyFiles.WriteConfig(dir.Path, worker, trials: 2);

        // When the configuration is started (or created) on it
        var run = await SearchCli.RunAsync(dir.Path, "study", verb, config);

        // Then it is refused in one line, exit 2 (it ran 2 trials of one value into it, which Optuna's best_trials then
        // could not read), and Optuna still reads a study with no trials
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("exists with 2 objectives (an Optuna multi-objective study); this tool searches one", Assert.Single(run.Stderr.Trim().Split('\n')));
        var optuna = await OptunaRunner.RunPythonAsync("""
            import sys, optuna
            s = optuna.load_study(study_name="cli-study", storage=sys.argv[1])
            print(len(s.trials), s.best_trials)
            """, url);
        Assert.Equal("0 []", optuna.Trim());
    }
}
