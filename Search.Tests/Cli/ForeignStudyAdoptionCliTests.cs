using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Cli;

/// <summary>
/// `study start` on a study Optuna made (no stored configuration) takes it over only when its trials searched what
/// the space searches: one with other parameters was adopted silently, its best trial (outside the space) reported
/// and retrained, and a categorical's stored index read under the space's own choices.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class ForeignStudyAdoptionCliTests
{
    // The parameters StudyFiles.WriteConfig searches, as an Optuna objective suggests them.
    private const string SameSpace =
        "t.suggest_int('conv1_channels', 8, 64, log=True), t.suggest_float('learning_rate', 1e-4, 1e-2, log=True), t.suggest_categorical('batch_size', [64, 128])";

    [Theory]
    [InlineData("t.suggest_float('batch_size', 0, 1)", "$.space.batch_size: study 'cli-study' (made without this configuration) has it as {\"name\":\"FloatDistribution\"")]
    // The same choices in another order: a stored index 0 meant 128 to Optuna and would mean 64 here.
    [InlineData("t.suggest_categorical('batch_size', [128, 64])", "$.space.batch_size: study 'cli-study' (made without this configuration) has it as {\"name\":\"CategoricalDistribution\",\"attributes\":{\"choices\":[128,64]}}")]
    // Python writes an infinite choice as a bare Infinity, which plain JSON output cannot write back.
    [InlineData("t.suggest_categorical('batch_size', [64, float('inf')])", "$.space.batch_size: study 'cli-study' (made without this configuration) has it as {\"name\":\"CategoricalDistribution\",\"attributes\":{\"choices\":[64,\"Infinity\"]}}")]
    [InlineData("t.suggest_float('momentum', 0, 1)", "$.space: study 'cli-study' (made without this configuration) has trials with parameter 'momentum', which this space does not search")]
    public async Task AStudyOptunaMadeWithOtherParametersIsRefusedAndNothingIsWritten(string suggest, string expected)
    {
        // Given a study Optuna made, whose trials searched a parameter otherwise than search.json does
        using var dir = new TempDirectory("cli-foreign-space");
        var db = dir["optuna.db"];
        var config = await OptunaStudyAndConfigAsync(dir, suggest);

        // When the study is started with that search.json
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it is refused in one line naming the file, the JSON path and both distributions, exit 2, and nothing is
        // written: no trial, no stored configuration, no study folder
        Assert.True(r.ExitCode == 2, r.Stderr);
        var line = Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: {config}: ", line);
        Assert.Contains(expected, line);
        Assert.Equal((3, 0), await RowsAsync(db));
        Assert.False(Directory.Exists(dir["studies"]));
    }

    [Fact]
    public async Task StudyCreateRefusesAStudyOptunaMadeWithOtherParametersAsStartDoes()
    {
        // Given a study Optuna made whose trials searched a parameter search.json does not
        using var dir = new TempDirectory("cli-foreign-create");
        var config = await OptunaStudyAndConfigAsync(dir, "t.suggest_float('momentum', 0, 1)");

        // When `study create` is given that search.json (the refusal text of every command on such a study suggests it),
        // then `study start`
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        var started = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then create refuses as start does, in one line, exit 2, and stores nothing: it stored the configuration, from
        // then on start compared configurations alone and adopted the study, reporting a best trial outside the space
        Assert.True(created.ExitCode == 2, created.Stdout + created.Stderr);
        Assert.Contains("has trials with parameter 'momentum', which this space does not search", Assert.Single(created.Stderr.Trim().Split('\n')));
        Assert.Equal(2, started.ExitCode);
        Assert.Contains("has trials with parameter 'momentum'", started.Stderr);
        Assert.Equal((3, 0), await RowsAsync(dir["optuna.db"]));
    }

    [Fact]
    public async Task AStudyOptunaMadeWithTheSameParametersIsTakenOverAndFinished()
    {
        // Given a study Optuna made over the same parameters (the control: the check must not refuse it)
        using var dir = new TempDirectory("cli-foreign-same");
        var config = await OptunaStudyAndConfigAsync(dir, SameSpace);

        // When it is started
        var r = await SearchCli.RunAsync(dir.Path, "study", "start", config);

        // Then it runs the rest of the budget
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(5, (await RowsAsync(dir["optuna.db"])).Trials);
    }

    [Fact]
    public async Task AWorkerOnAStudyOptunaMadeIsToldHowToGiveItAConfigurationAndThenJoins()
    {
        // Given a study Optuna made over the same parameters (no stored configuration for workers)
        using var dir = new TempDirectory("cli-foreign-worker");
        var config = await OptunaStudyAndConfigAsync(dir, SameSpace);
        var url = "sqlite:" + dir["optuna.db"];

        // When a worker joins it, then the configuration is created on it, then the worker joins again
        var refused = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", url);
        var created = await SearchCli.RunAsync(dir.Path, "study", "create", config);
        var joined = await SearchCli.RunAsync(dir.Path, "study", "worker", "cli-study", "--storage", url);

        // Then the refusal says how to give the study a configuration (it said only that `study start` had not made it),
        // and that way works: the worker runs the rest of the budget
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("has no stored configuration (another Optuna client made it): `study create CONFIG --storage URL`", Assert.Single(refused.Stderr.Trim().Split('\n')));
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.True(joined.ExitCode == 0, joined.Stderr);
        Assert.Equal(5, (await RowsAsync(dir["optuna.db"])).Trials);
    }

    // A study "cli-study" in optuna.db that Optuna made with three trials of an objective suggesting `suggest`, and a
    // search.json (the fake worker, the default space, 5 trials) pointed at it.
    private static async Task<string> OptunaStudyAndConfigAsync(TempDirectory dir, string suggest)
    {
        await OptunaRunner.RunPythonAsync($$"""
            import sys, optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            study = optuna.create_study(study_name="cli-study", storage=sys.argv[1], direction="maximize")
            study.optimize(lambda t: ({{suggest}}, 0.5)[-1], n_trials=3)
            """, $"sqlite:///{dir["optuna.db"]}");
        return StudyFiles.WriteConfig(dir.Path, new FakeWorker { Directory = dir["worker"] }.Write(), trials: 5,
            tweak: c => c["storage"] = "sqlite:optuna.db");
    }

    private static async Task<(int Trials, int StoredSettings)> RowsAsync(string db)
    {
        await using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=false");
        await c.OpenAsync();
        return (await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM trials"),
            await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM study_system_attributes"));
    }
}
