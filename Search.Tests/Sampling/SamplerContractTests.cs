using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Sampling;

/// <summary>What every <see cref="ISampler"/> must do; one sealed subclass per implementation.</summary>
public abstract class SamplerContractTests
{
    protected abstract ISampler Create(int seed);

    private static readonly SearchSpace Space = TrialHistory.Mixed;

    private TrialHistory History(int trials, int seed = 0)
    {
        var history = new TrialHistory(Space);
        history.Run(Create(seed), StudyDirection.MINIMIZE, TrialHistory.MixedObjective, trials);
        return history;
    }

    [Fact]
    public void WhenSamplingThenEveryParameterGetsAValueInsideItsDistribution()
    {
        // Given / When: a study run long enough to leave the startup phase
        var history = History(16);

        // Then every proposal names exactly the space's parameters, each inside its distribution
        foreach (var trial in history.Trials)
        {
            Assert.Equal(Space.Names.Order(), trial.Params.Keys.Order());
            foreach (var (name, distribution) in Space.Parameters)
                Assert.True(distribution.Contains(trial.Params[name]), $"{name} = {trial.Params[name]} outside {distribution}");
        }
    }

    [Fact]
    public void WhenSamplingIntsAndCategoricalsThenValuesAreIntegralAndOnTheirStep()
    {
        var history = History(16);
        foreach (var trial in history.Trials)
        {
            foreach (var name in new[] { "layers", "channels", "batch", "optimizer", "batch_norm" })
                Assert.Equal(Math.Round(trial.Params[name]), trial.Params[name]);
            Assert.Equal(0, (trial.Params["batch"] - 32) % 32);
            var steps = (trial.Params["momentum"] - 0.5) / 0.05;
            Assert.True(Math.Abs(steps - Math.Round(steps)) < 1e-9, $"momentum {trial.Params["momentum"]}");
        }
    }

    [Fact]
    public void WhenTheSameHistoryIsGivenTwiceThenTheProposalIsTheSame()
    {
        // Given a history with finished, failed and running trials
        var history = History(14);
        history.Add(TrialState.FAIL, history.Trials[0].Params);
        history.Add(TrialState.RUNNING, history.Trials[1].Params);

        // When two sampler instances with the same seed are asked
        var a = Create(3).Sample(Space, StudyDirection.MINIMIZE, history.Trials);
        var b = Create(3).Sample(Space, StudyDirection.MINIMIZE, history.Trials);

        // Then
        Assert.Equal(a.OrderBy(kv => kv.Key), b.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void WhenSeedsDifferThenProposalsDiffer()
    {
        // Given / When: the same study run with two seeds (a model's optimum may coincide, the paths must not)
        var a = History(8, seed: 1).Trials.Select(t => t.Params.OrderBy(kv => kv.Key).ToList()).ToList();
        var b = History(8, seed: 2).Trials.Select(t => t.Params.OrderBy(kv => kv.Key).ToList()).ToList();

        // Then
        Assert.NotEqual(a, b);
        var first = Create(1).Sample(Space, StudyDirection.MINIMIZE, []);
        var second = Create(2).Sample(Space, StudyDirection.MINIMIZE, []);
        Assert.NotEqual(first.OrderBy(kv => kv.Key), second.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void WhenLogParametersAreSampledFromScratchThenTheyAreUniformInLogSpace()
    {
        // Given a log float over five decades; When sampling 200 trials without values (all startup/random)
        var space = TrialHistory.Space(("lr", new FloatDistribution(1e-6, 1e-1, Log: true)));
        var history = new TrialHistory(space);
        var sampler = Create(0);
        for (var i = 0; i < 200; i++) history.Add(TrialState.RUNNING, sampler.Sample(space, StudyDirection.MINIMIZE, history.Trials));

        // Then each decade gets about a fifth of the draws (a linear draw would put 90% in the top one)
        var decades = history.Trials.Select(t => (int)Math.Floor(Math.Log10(t.Params["lr"]) + 6)).ToArray();
        for (var d = 0; d < 5; d++)
        {
            var share = decades.Count(x => x == d) / 200.0;
            Assert.InRange(share, 0.12, 0.28);
        }
    }

    [Fact]
    public void WhenTrialsHaveOtherParametersOrFailedThenSamplingStillWorks()
    {
        // Given trials from another space and failed trials
        var other = TrialHistory.Space(("x", new FloatDistribution(0, 1)));
        var history = new TrialHistory(other);
        history.Complete(new Dictionary<string, double> { ["x"] = 0.5 }, 1.0);
        history.Add(TrialState.FAIL, new Dictionary<string, double> { ["x"] = 0.2 });

        // When / Then
        var p = Create(0).Sample(Space, StudyDirection.MAXIMIZE, history.Trials);
        Assert.Equal(Space.Count, p.Count);
    }
}

public sealed class GpSamplerContractTests : SamplerContractTests
{
    protected override ISampler Create(int seed) => new GpSampler(new SamplerSettings(SamplerSettings.Gp, StartupTrials: 5, Seed: seed));
}

/// <summary>The GP of a pruned study (fidelity as an input): the contract holds for trials with and without epochs.</summary>
public sealed class MultiFidelityGpSamplerContractTests : SamplerContractTests
{
    protected override ISampler Create(int seed) => new GpSampler(new SamplerSettings(SamplerSettings.Gp, StartupTrials: 5, Seed: seed, MaxFidelity: 3));
}

public sealed class TpeSamplerContractTests : SamplerContractTests
{
    protected override ISampler Create(int seed) => new TpeSampler(seed, startupTrials: 5);
}

public sealed class RandomSamplerContractTests : SamplerContractTests
{
    protected override ISampler Create(int seed) => new RandomSampler(seed);
}
