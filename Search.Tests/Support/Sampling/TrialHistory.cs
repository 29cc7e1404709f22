using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Support.Sampling;

/// <summary>Builds trial histories for sampler tests: trials numbered in order, with the space's distributions.</summary>
internal sealed class TrialHistory(SearchSpace space)
{
    private readonly List<TrialSnapshot> _trials = [];

    public IReadOnlyList<TrialSnapshot> Trials => _trials;

    public TrialHistory Add(TrialState state, IReadOnlyDictionary<string, double> parameters, double? value = null,
        IReadOnlyDictionary<int, double>? intermediate = null)
    {
        var n = _trials.Count;
        _trials.Add(new TrialSnapshot(n, n, state, value, parameters,
            space.Parameters.ToDictionary(p => p.Key, p => p.Value), intermediate ?? new Dictionary<int, double>(),
            DateTime.UnixEpoch, state.IsFinished() ? DateTime.UnixEpoch : null,
            new Dictionary<string, string>(), new Dictionary<string, string>()));
        return this;
    }

    public TrialHistory Complete(IReadOnlyDictionary<string, double> parameters, double value) => Add(TrialState.COMPLETE, parameters, value);

    /// <summary>Asks <paramref name="sampler"/> <paramref name="count"/> times, completing each proposal with <paramref name="objective"/>.</summary>
    public TrialHistory Run(Mnist.Search.Sampling.ISampler sampler, StudyDirection direction, Func<IReadOnlyDictionary<string, double>, double> objective, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var p = sampler.Sample(space, direction, _trials);
            Complete(p, objective(p));
        }
        return this;
    }

    public static SearchSpace Space(params (string Name, ParameterDistribution Distribution)[] parameters) =>
        new(parameters.Select(p => new KeyValuePair<string, ParameterDistribution>(p.Name, p.Distribution)).ToList());

    /// <summary>A space with every kind of distribution the product uses.</summary>
    public static SearchSpace Mixed { get; } = Space(
        ("layers", new IntDistribution(1, 4)),
        ("channels", new IntDistribution(8, 128, Log: true)),
        ("batch", new IntDistribution(32, 256, Step: 32)),
        ("dropout", new FloatDistribution(0, 0.5)),
        ("lr", new FloatDistribution(1e-5, 1e-1, Log: true)),
        ("momentum", new FloatDistribution(0.5, 0.95, Step: 0.05)),
        ("optimizer", new CategoricalDistribution(["adam", "sgd", "rmsprop"])),
        ("batch_norm", new CategoricalDistribution([true, false])));

    /// <summary>A smooth objective on <see cref="Mixed"/> (minimum near lr 1e-3, dropout 0.2, sgd).</summary>
    public static double MixedObjective(IReadOnlyDictionary<string, double> p) =>
        Math.Pow(Math.Log10(p["lr"]) + 3, 2) + 4 * Math.Pow(p["dropout"] - 0.2, 2) + (p["optimizer"] == 1 ? 0 : 0.5)
        + 0.1 * Math.Abs(p["layers"] - 3) + 0.001 * p["channels"] + 0.3 * p["batch_norm"];
}
