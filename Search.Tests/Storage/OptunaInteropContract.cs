using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// Real Optuna 4 reads a study we wrote (trials, states, params of all three kinds, values, intermediate values,
/// attributes, best trial) and writes into it (claims our WAITING trial, tells a value), which we read back.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public abstract class OptunaInteropContract
{
    /// <summary>Our URL for a fresh database.</summary>
    protected abstract Task<string> CreateDatabaseUrlAsync();

    private const string Script = """
        import json, sys, math
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        url, name = sys.argv[1], sys.argv[2]
        study = optuna.load_study(study_name=name, storage=url)
        def num(v):
            return None if v is None else (repr(v) if isinstance(v, float) and not math.isfinite(v) else v)
        trials = [{
            "number": t.number, "state": t.state.name, "value": num(t.value), "params": t.params,
            "distributions": {k: type(d).__name__ for k, d in t.distributions.items()},
            "intermediate": {str(k): num(v) for k, v in t.intermediate_values.items()},
            "user_attrs": t.user_attrs, "system_attrs": t.system_attrs,
            "start": t.datetime_start.isoformat(sep=" ", timespec="microseconds") if t.datetime_start else None,
            "complete": t.datetime_complete.isoformat(sep=" ", timespec="microseconds") if t.datetime_complete else None,
        } for t in study.get_trials(deepcopy=False)]
        out = {"direction": study.direction.name, "best_value": study.best_value, "best_number": study.best_trial.number,
               "best_params": study.best_params, "user_attrs": study.user_attrs, "trials": trials}
        # Optuna claims the oldest WAITING trial on ask(), suggests into it and tells a value.
        t = study.ask({"lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)})
        study.tell(t, 0.25)
        out["told_number"] = t.number
        print(json.dumps(out))
        """;

    [Fact]
    public async Task AStudyWeDeleteLeavesNoRowOptunaCouldFindAndOptunaKeepsUsingTheOther()
    {
        // Given two studies with every kind of row, and the first deleted by us
        var url = await CreateDatabaseUrlAsync();
        var parsed = StorageUrl.Parse(url, "/");
        await using (var storage = await StorageFactory.OpenAsync(parsed))
        {
            foreach (var name in new[] { "gone", "kept" })
            {
                var id = (await storage.CreateStudyAsync(name, StudyDirection.MAXIMIZE, new Dictionary<string, object?> { ["s"] = 1 })).Study.Id;
                await storage.SetStudyUserAttrAsync(id, "u", 2);
                var t = await storage.CreateTrialAsync(id, TrialState.RUNNING, StudyStorageContract.SomeParams(), new Dictionary<string, object?> { ["host"] = "h" });
                await storage.ReportIntermediateValueAsync(t.Id, 0, 0.5);
                await storage.SetTrialUserAttrAsync(t.Id, "checkpoint", "c");
                await storage.RecordHeartbeatAsync(t.Id);
                await storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, 0.6);
            }
            Assert.Equal(1, await storage.DeleteStudyAsync((await storage.GetStudyAsync("gone"))!.Id));
        }

        // When Optuna 4 lists the studies, counts rows left without a study or trial, and runs a trial of the other
        var json = JsonNode.Parse(await OptunaRunner.RunPythonAsync("""
            import json, sys, optuna, sqlalchemy
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            url = sys.argv[1]
            names = [s.study_name for s in optuna.get_all_study_summaries(url)]
            engine = sqlalchemy.create_engine(url)
            orphans = {}
            with engine.connect() as c:
                for table in ["trial_params", "trial_values", "trial_intermediate_values", "trial_user_attributes", "trial_system_attributes", "trial_heartbeats"]:
                    orphans[table] = c.execute(sqlalchemy.text(f"SELECT COUNT(*) FROM {table} WHERE trial_id NOT IN (SELECT trial_id FROM trials)")).scalar()
                for table in ["trials", "study_directions", "study_user_attributes", "study_system_attributes"]:
                    orphans[table] = c.execute(sqlalchemy.text(f"SELECT COUNT(*) FROM {table} WHERE study_id NOT IN (SELECT study_id FROM studies)")).scalar()
                rows = c.execute(sqlalchemy.text("SELECT COUNT(*) FROM trial_params")).scalar()
            study = optuna.load_study(study_name="kept", storage=url)
            study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True), n_trials=1)
            print(json.dumps({"names": names, "orphans": orphans, "param_rows": rows, "kept_trials": len(study.trials)}))
            """, parsed.ToOptunaUrl()))!;

        // Then only the other study is there, no row of the deleted one is left, and Optuna runs the other as before
        Assert.Equal(["kept"], json["names"]!.AsArray().Select(n => (string)n!));
        Assert.All(json["orphans"]!.AsObject(), kv => Assert.True((int)kv.Value! == 0, $"{kv.Key}: {kv.Value} row(s) of the deleted study left"));
        Assert.Equal(StudyStorageContract.SomeParams().Count, (int)json["param_rows"]!);
        Assert.Equal(2, (int)json["kept_trials"]!);
    }

    [Fact]
    public async Task WhenOptuna4OpensOurStudyThenItSeesTheSameTrialsAndCanAddToIt()
    {
        // Given: a study with COMPLETE, PRUNED, FAIL, RUNNING and WAITING trials
        var url = await CreateDatabaseUrlAsync();
        var parsed = StorageUrl.Parse(url, "/");
        List<TrialSnapshot> ours;
        int studyId;
        await using (var storage = await StorageFactory.OpenAsync(parsed))
        {
            studyId = (await storage.CreateStudyAsync("mnist", StudyDirection.MAXIMIZE)).Study.Id;
            await storage.SetStudyUserAttrAsync(studyId, "dataset", "mnist");
            var attrs = new Dictionary<string, object?> { ["device"] = "cpu", ["pid"] = 4242, ["log_path"] = "logs/trial-0.log" };
            var complete = await storage.CreateTrialAsync(studyId, TrialState.RUNNING, StudyStorageContract.SomeParams(0.003), attrs);
            for (var epoch = 0; epoch < 3; epoch++) await storage.ReportIntermediateValueAsync(complete.Id, epoch, 0.9 + epoch * 0.01);
            await storage.SetTrialUserAttrAsync(complete.Id, "checkpoint", "ckpt/0.pt");
            await storage.FinishTrialAsync(complete.Id, TrialState.COMPLETE, 0.92);
            var pruned = await storage.CreateTrialAsync(studyId, TrialState.RUNNING, StudyStorageContract.SomeParams(0.05));
            await storage.ReportIntermediateValueAsync(pruned.Id, 0, 0.4);
            await storage.FinishTrialAsync(pruned.Id, TrialState.PRUNED, 0.4);
            var failed = await storage.CreateTrialAsync(studyId, TrialState.RUNNING, StudyStorageContract.SomeParams(0.07));
            await storage.SetTrialSystemAttrAsync(failed.Id, "error", "CUDA out of memory");
            await storage.FinishTrialAsync(failed.Id, TrialState.FAIL, null);
            await storage.CreateTrialAsync(studyId, TrialState.RUNNING, StudyStorageContract.SomeParams(0.0002));
            var best = await storage.CreateTrialAsync(studyId, TrialState.RUNNING, new Dictionary<string, (Mnist.Search.Space.ParameterDistribution, double)>
            {
                ["units"] = (StudyStorageContract.Units, 64),
                ["lr"] = (StudyStorageContract.Lr, 0.001),
                ["optimizer"] = (StudyStorageContract.Optimizer, 3),
            });
            await storage.FinishTrialAsync(best.Id, TrialState.COMPLETE, 0.985);
            await storage.CreateTrialAsync(studyId, TrialState.WAITING);
            ours = (await storage.GetAllTrialsAsync(studyId)).ToList();
        }

        // When
        var json = JsonNode.Parse(await OptunaRunner.RunPythonAsync(Script, parsed.ToOptunaUrl(), "mnist"))!;

        // Then: Optuna saw what we stored
        Assert.Equal("MAXIMIZE", (string)json["direction"]!);
        Assert.Equal(0.985, (double)json["best_value"]!);
        Assert.Equal(4, (int)json["best_number"]!);
        Assert.Equal("{\"units\":64,\"lr\":0.001,\"optimizer\":3}", json["best_params"]!.ToJsonString());
        Assert.Equal("mnist", (string)json["user_attrs"]!["dataset"]!);
        var trials = json["trials"]!.AsArray();
        Assert.Equal(ours.Count, trials.Count);
        foreach (var (mine, theirs) in ours.Zip(trials))
        {
            Assert.Equal(mine.Number, (int)theirs!["number"]!);
            Assert.Equal(mine.State.ToString(), (string)theirs["state"]!);
            Assert.Equal(mine.Value, (double?)theirs["value"]);
            Assert.Equal(mine.Params.Count, theirs["params"]!.AsObject().Count);
            foreach (var name in mine.Params.Keys)
            {
                Assert.Equal(Json(mine.ExternalParam(name)), theirs["params"]![name]?.ToJsonString() ?? "null");
                Assert.Equal(mine.Distributions[name].GetType().Name, (string)theirs["distributions"]![name]!);
            }
            Assert.Equal(mine.IntermediateValues.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
                theirs["intermediate"]!.AsObject().ToDictionary(kv => kv.Key, kv => (double)kv.Value!));
            Assert.Equal(mine.UserAttrs.Keys.Order(), theirs["user_attrs"]!.AsObject().Select(kv => kv.Key).Order());
            Assert.Equal(mine.SystemAttrs.ToDictionary(kv => kv.Key, kv => JsonNode.Parse(kv.Value)!.ToJsonString()),
                theirs["system_attrs"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.ToJsonString()));
            Assert.Equal(mine.DatetimeStart?.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture), (string?)theirs["start"]);
            Assert.Equal(mine.DatetimeComplete?.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture), (string?)theirs["complete"]);
        }

        // Then: what Optuna wrote, we read
        Assert.Equal(5, (int)json["told_number"]!);
        await using var again = await StorageFactory.OpenAsync(parsed);
        var told = (await again.GetAllTrialsAsync(studyId)).Single(t => t.Number == 5);
        Assert.Equal((TrialState.COMPLETE, 0.25), (told.State, told.Value));
        Assert.Equal(StudyStorageContract.Lr, told.Distributions["lr"]);
        Assert.Equal(5, (await again.CreateTrialAsync(studyId, TrialState.RUNNING)).Number - 1);
    }

    private const string CreateScript = """
        import sys
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(study_name="theirs", storage=sys.argv[1], direction="minimize")
        def objective(trial):
            x = trial.suggest_float("x", -10, 10)
            k = trial.suggest_int("k", 1, 8, log=True)
            c = trial.suggest_categorical("c", ["relu", "gelu"])
            trial.report(x * x, 0)
            trial.set_user_attr("note", {"k": k})
            return x * x + k
        study.optimize(objective, n_trials=3)
        study.enqueue_trial({"x": 1.0, "k": 2, "c": "gelu"})
        print(study.best_trial.number, repr(study.best_value))
        """;

    [Fact]
    public async Task WhenOptuna4CreatedTheDatabaseThenWeReadItsTrialsAndNumberOnFromThem()
    {
        // Given: a database, study and trials made by Optuna itself
        var parsed = StorageUrl.Parse(await CreateDatabaseUrlAsync(), "/");
        var printed = (await OptunaRunner.RunPythonAsync(CreateScript, parsed.ToOptunaUrl())).Trim().Split(' ');

        // When
        await using var storage = await StorageFactory.OpenAsync(parsed);
        var study = await storage.GetStudyAsync("theirs");
        var trials = await storage.GetAllTrialsAsync(study!.Id);
        var next = await storage.CreateTrialAsync(study.Id, TrialState.RUNNING);

        // Then
        Assert.Equal(StudyDirection.MINIMIZE, study.Direction);
        Assert.Equal([0, 1, 2, 3], trials.Select(t => t.Number));
        Assert.Equal([TrialState.COMPLETE, TrialState.COMPLETE, TrialState.COMPLETE, TrialState.WAITING], trials.Select(t => t.State));
        var best = trials.Where(t => t.State == TrialState.COMPLETE).MinBy(t => t.Value)!;
        Assert.Equal(int.Parse(printed[0], CultureInfo.InvariantCulture), best.Number);
        Assert.Equal(double.Parse(printed[1], CultureInfo.InvariantCulture), best.Value);
        Assert.All(trials.Take(3), t =>
        {
            Assert.Equal(new FloatDistribution(-10, 10), t.Distributions["x"]);
            Assert.Equal(new IntDistribution(1, 8, 1, Log: true), t.Distributions["k"]);
            Assert.Equal(t.Value!.Value, Math.Pow((double)t.ExternalParam("x")!, 2) + (long)t.ExternalParam("k")!, 9);
            Assert.Contains(t.ExternalParam("c"), new object[] { "relu", "gelu" });
            Assert.Equal(Math.Pow((double)t.ExternalParam("x")!, 2), t.IntermediateValues[0], 9);
            Assert.NotNull(t.DatetimeStart);
            Assert.True(t.DatetimeComplete >= t.DatetimeStart);
        });
        Assert.Equal("{\"x\": 1.0, \"k\": 2, \"c\": \"gelu\"}", trials[3].SystemAttrs["fixed_params"]);
        Assert.Equal(4, next.Number);
    }

    private static string Json(object? v) => v switch
    {
        null => "null",
        string s => JsonValue.Create(s).ToJsonString(),
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => JsonValue.Create(d).ToJsonString(),
        _ => throw new ArgumentException($"unexpected {v.GetType()}"),
    };
}
