using System.Text.Json.Nodes;
using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Tpe;

/// <summary>
/// The <c>tpe</c> sampler against Optuna 4.1's own code, run by <see cref="OptunaRunner"/>: the same observations give
/// the same Parzen densities, and the same history the same split into good and bad trials. Draws cannot match (another
/// random stream), so what is compared is everything a draw is judged by.
/// </summary>
[Trait(Needs.Name, Needs.Optuna4)]
public sealed class TpeOptunaParityTests
{
    private const string Script = """
        import json, sys
        import numpy as np
        import optuna
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
        from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
        from optuna.samplers._tpe.sampler import _split_trials, default_weights
        from optuna.trial import TrialState, create_trial

        request = json.loads(sys.argv[1])
        params = _ParzenEstimatorParameters(True, 1.0, True, False, default_weights, False, {})
        densities = []
        for c in request["estimators"]:
            if c["kind"] == "cat":
                d = CategoricalDistribution(list(range(c["choices"])))
            elif c["kind"] == "int":
                d = IntDistribution(c["low"], c["high"], log=c["log"], step=c["step"])
            else:
                d = FloatDistribution(c["low"], c["high"], log=c["log"], step=c.get("step"))
            pe = _ParzenEstimator({"x": np.asarray(c["obs"], dtype=float)}, {"x": d}, params)
            densities.append(pe.log_pdf({"x": np.asarray(c["probes"], dtype=float)}).tolist())

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(direction=request["direction"])
        x = FloatDistribution(0, 1)
        for t in request["trials"]:
            state = TrialState.COMPLETE if t["state"] == "COMPLETE" else TrialState.PRUNED
            study.add_trial(create_trial(state=state, value=t.get("value"), params={"x": 0.5}, distributions={"x": x},
                intermediate_values={int(k): v for k, v in t["steps"].items()}))
        trials = study.get_trials(deepcopy=False)
        below, above = _split_trials(study, trials, request["below"], False)
        print(json.dumps({"densities": densities, "below": [t.number for t in below], "above": [t.number for t in above]}))
        """;

    private static readonly (ParameterDistribution Distribution, JsonObject Optuna, double[] Observed, double[] Probes)[] Cases =
    [
        (new FloatDistribution(0.0, 0.5), Float(0.0, 0.5, false), [0.1, 0.12, 0.4, 0.0, 0.33], [0.0, 0.05, 0.11, 0.25, 0.5]),
        (new FloatDistribution(3e-4, 1e-2, true), Float(3e-4, 1e-2, true), [1e-3, 2e-3, 9e-3], [3e-4, 1e-3, 1.5e-3, 5e-3, 1e-2]),
        (new FloatDistribution(0.5, 0.95, Step: 0.05), Float(0.5, 0.95, false, 0.05), [0.5, 0.9, 0.9, 0.75], [0.5, 0.55, 0.9, 0.95]),
        (new IntDistribution(8, 16, 1, true), Int(8, 16, true, 1), [8, 9, 9, 15, 12, 16], [8, 10, 12, 16]),
        (new IntDistribution(1, 5), Int(1, 5, false, 1), [1, 3, 3, 5], [1, 2, 3, 4, 5]),
        (new IntDistribution(32, 256, 32), Int(32, 256, false, 32), [64, 64, 256], [32, 64, 160, 256]),
        (new CategoricalDistribution([64L, 128L, 256L]), new JsonObject { ["kind"] = "cat", ["choices"] = 3 }, [0, 0, 1, 2, 0], [0, 1, 2]),
        (new CategoricalDistribution(["adam", "sgd"]), new JsonObject { ["kind"] = "cat", ["choices"] = 2 }, [], [0, 1]),
        // 30 observations: the oldest five weigh less (default_weights' ramp), and the magic clip binds.
        (new FloatDistribution(0.0, 1.0), Float(0.0, 1.0, false), Enumerable.Range(0, 30).Select(i => (i * 0.37) % 1.0).ToArray(), [0.0, 0.3, 0.5, 0.71, 1.0]),
        (new FloatDistribution(0.0, 1.0), Float(0.0, 1.0, false), [], [0.0, 0.5, 1.0]),
    ];

    [Fact]
    public async Task WhenTheSameObservationsAreGivenThenTheParzenDensitiesAreOptunasAndTheSplitIsOptunas()
    {
        // Given estimators of every kind of parameter, and a maximized study's history with pruned trials that stopped
        // at different epochs, one without an epoch, and ties
        var x = new Dictionary<string, double> { ["x"] = 0.5 };
        var trials = new TrialHistory(TrialHistory.Space(("x", new FloatDistribution(0, 1))))
            .Add(TrialState.COMPLETE, x, 0.97, Steps((1, 0.95), (3, 0.97)))
            .Add(TrialState.PRUNED, x, null, Steps((1, 0.96)))
            .Add(TrialState.COMPLETE, x, 0.98, Steps((3, 0.98)))
            .Add(TrialState.PRUNED, x, null, Steps((1, 0.99)))
            .Add(TrialState.PRUNED, x, null, Steps((1, 0.90), (2, 0.93)))
            .Add(TrialState.PRUNED, x)
            .Add(TrialState.COMPLETE, x, 0.96)
            .Add(TrialState.PRUNED, x, null, Steps((2, 0.94)))
            .Trials;
        var request = new JsonObject
        {
            ["estimators"] = new JsonArray(Cases.Select(c =>
            {
                var o = (JsonObject)c.Optuna.DeepClone();
                // Optuna's estimator takes a categorical's index and any other parameter's value: our internal values.
                o["obs"] = new JsonArray(c.Observed.Select(v => (JsonNode)v).ToArray());
                o["probes"] = new JsonArray(c.Probes.Select(v => (JsonNode)v).ToArray());
                return (JsonNode)o;
            }).ToArray()),
            ["direction"] = "maximize",
            ["below"] = 4,
            ["trials"] = new JsonArray(trials.Select(t => (JsonNode)new JsonObject
            {
                ["state"] = t.State.ToString(),
                ["value"] = t.Value,
                ["steps"] = new JsonObject(t.IntermediateValues.Select(kv => KeyValuePair.Create(kv.Key.ToString(), (JsonNode?)kv.Value))),
            }).ToArray()),
        };

        // When Optuna computes them
        var optuna = JsonNode.Parse(await OptunaRunner.RunPythonAsync(Script, request.ToJsonString()))!;

        // Then every density agrees to 1e-9
        for (var c = 0; c < Cases.Length; c++)
        {
            var (distribution, _, observed, probes) = Cases[c];
            var domain = TpeSampler.ParameterDomain.For(distribution);
            var estimator = domain.Estimator(observed.Select(domain.ToWorking).ToList());
            var expected = optuna["densities"]![c]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            for (var i = 0; i < probes.Length; i++)
            {
                var ours = estimator.LogPdf(domain.ToWorking(probes[i]));
                Assert.True(Math.Abs(ours - expected[i]) < 1e-9 * Math.Max(1, Math.Abs(expected[i])),
                    $"{distribution} with {observed.Length} observations at {probes[i]}: ours {ours}, Optuna {expected[i]}");
            }
        }

        // And the best four are Optuna's: complete trials by value, then pruned ones by epoch reached, then value
        var (below, above) = TpeSampler.Split(trials, StudyDirection.MAXIMIZE, 4);
        Assert.Equal(Numbers(optuna["below"]!), below.Select(t => t.Number));
        Assert.Equal(Numbers(optuna["above"]!), above.Select(t => t.Number));
    }

    private static JsonObject Float(double low, double high, bool log, double? step = null) =>
        new() { ["kind"] = "float", ["low"] = low, ["high"] = high, ["log"] = log, ["step"] = step };

    private static JsonObject Int(long low, long high, bool log, long step) =>
        new() { ["kind"] = "int", ["low"] = low, ["high"] = high, ["log"] = log, ["step"] = step };

    private static int[] Numbers(JsonNode array) => array.AsArray().Select(n => n!.GetValue<int>()).ToArray();

    private static Dictionary<int, double> Steps(params (int Step, double Value)[] steps) => steps.ToDictionary(s => s.Step, s => s.Value);
}
