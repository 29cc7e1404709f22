using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Study;
using Mnist.Search.Tests.Sampling;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Study;

/// <summary>
/// The coordinator on a conditional space (conv_layers 1..3 with conv2/conv3 searched; a fake worker, real SQLite): what a
/// trial stores when it is enqueued with some values given, and a study stored before trials left out inactive
/// children goes on.
/// </summary>
public sealed class ConditionalStudyTests
{
    [Fact]
    public async Task AnEnqueuedParentValueGetsItsChildrenAndAChildItLeavesOutIsDropped()
    {
        // Given a sampler whose own proposal always has 1 conv layer, and two enqueued configurations (an Optuna client's
        // enqueue_trial, which no check saw): 3 conv layers alone, and 1 conv layer with a conv3 it never reads
        await using var h = await CoordinatorHarness.CreateAsync(trials: 2, tweak: s => s with { Space = ConditionalSpaceTests.Space });
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        foreach (var given in new[] { new Dictionary<string, object?> { ["conv_layers"] = 3L }, new() { ["conv_layers"] = 1L, ["conv3_channels"] = 64L } })
            await h.Storage.CreateTrialAsync(study.Id, TrialState.WAITING, null,
                new Dictionary<string, object?> { [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(given) });

        // When the study runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), new OneLayerSampler());

        // Then the 3-layer trial got conv2 and conv3 (proposed on their own: the sampler's proposal had neither) and the
        // 1-layer one has neither; both completed
        Assert.Equal([TrialState.COMPLETE, TrialState.COMPLETE], trials.Select(t => t.State));
        Assert.Equal(ConditionalSpaceTests.ActiveNames(3), trials[0].Params.Keys.Order());
        Assert.Equal((3.0, 20.0, 30.0), (trials[0].Params["conv_layers"], trials[0].Params["conv2_channels"], trials[0].Params["conv3_channels"]));
        Assert.Equal(ConditionalSpaceTests.ActiveNames(1), trials[1].Params.Keys.Order());
    }

    [Fact]
    public async Task AStudyStoredWithEveryChildOnEveryTrialGoesOnWithOnlyActiveOnes()
    {
        // Given a study of 8 trials whose first 6 were stored before conditions: each has conv2 and conv3, whatever its
        // conv_layers, and those of 1 conv layer did best
        await using var h = await CoordinatorHarness.CreateAsync(trials: 8, tweak: s => s with { Space = ConditionalSpaceTests.Space });
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        var space = ConditionalSpaceTests.Space;
        for (var i = 0; i < 6; i++)
        {
            var t = await h.Storage.CreateTrialAsync(study.Id, TrialState.RUNNING, new Dictionary<string, (ParameterDistribution, double)>
            {
                ["conv_layers"] = (space["conv_layers"], 1 + i % 3), ["conv2_channels"] = (space["conv2_channels"], 16 + i),
                ["conv3_channels"] = (space["conv3_channels"], 100 - i), ["learning_rate"] = (space["learning_rate"], 1e-3 * (1 + i)),
            });
            await h.Storage.FinishTrialAsync(t.Id, TrialState.COMPLETE, i % 3 == 0 ? 0.9 + 0.01 * i : 0.5);
        }

        // When it resumes with the gp sampler past its start-up
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), new GpSampler(new SamplerSettings(SamplerSettings.Gp, StartupTrials: 4, Seed: 2)));

        // Then the old trials read as stored, and the new ones carry only their active parameters (the gp went for fewer
        // layers, where the stored trials did best)
        Assert.Equal(8, trials.Count);
        Assert.Contains(trials.Skip(6), t => t.Params["conv_layers"] < 3);
        Assert.All(trials.Take(6), t => Assert.Equal(4, t.Params.Count));
        Assert.All(trials.Skip(6), t =>
        {
            Assert.Equal(TrialState.COMPLETE, t.State);
            Assert.Equal(ConditionalSpaceTests.ActiveNames(t.Params["conv_layers"]), t.Params.Keys.Order());
        });
    }

    /// <summary>Proposes 1 conv layer and no channels; asked for conv2/conv3 alone (a subspace), 20 and 30.</summary>
    private sealed class OneLayerSampler : ISampler
    {
        public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials) =>
            space.Names.Contains("conv_layers")
                ? new Dictionary<string, double> { ["conv_layers"] = 1, ["learning_rate"] = 1e-3 }
                : new Dictionary<string, double> { ["conv2_channels"] = 20, ["conv3_channels"] = 30 }.Where(p => space.Names.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value);
    }
}
