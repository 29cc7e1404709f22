using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Study;
using Mnist.Search.Tests.Sampling;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Tests.Support.Scheduling;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;
using Serilog.Events;

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
        var (logger, sink) = CollectingSink.Create();
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(), new OneLayerSampler(), log: logger);

        // Then the 3-layer trial got the sampler's conv2 and conv3 (its own 1 layer would have left both out) and the
        // 1-layer one has neither; both completed
        Assert.Equal([TrialState.COMPLETE, TrialState.COMPLETE], trials.Select(t => t.State));
        Assert.Equal(ConditionalSpaceTests.ActiveNames(3), trials[0].Params.Keys.Order());
        Assert.Equal((3.0, 20.0, 30.0), (trials[0].Params["conv_layers"], trials[0].Params["conv2_channels"], trials[0].Params["conv3_channels"]));
        Assert.Equal(ConditionalSpaceTests.ActiveNames(1), trials[1].Params.Keys.Order());

        // And each trial's line names what it has: the 1-layer one's conv3 as ignored, with why, not as given
        var lines = sink.Messages(LogEventLevel.Information).Where(m => m.Contains("runs an enqueued configuration")).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("conv_layers as given; conv2_channels, conv3_channels, learning_rate sampled", lines[0]);
        Assert.EndsWith("conv_layers as given; learning_rate sampled; conv3_channels ignored: read only when `conv_layers` ≥ 3\"", lines[1]);
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

    [Fact]
    public async Task ChildrenOfAnEnqueuedParentAreDrawnAsIndependentlyAsASampledTrials()
    {
        // Given 50 configurations (the fake worker's accuracy passes 1 after trial 50) enqueued with 4 conv layers, in a
        // space that searches conv_layers 1..4 first, then the channels of each layer in one range (conv1's always
        // read), with the random sampler
        var space = TrialHistory.Space(
            ("conv_layers", new IntDistribution(1, 4)), ("conv1_channels", new IntDistribution(8, 128)), ("conv2_channels", new IntDistribution(8, 128)),
            ("conv3_channels", new IntDistribution(8, 128)), ("conv4_channels", new IntDistribution(8, 128))).FromTable();
        await using var h = await CoordinatorHarness.CreateAsync(trials: 50, new FakeWorker { Directory = "", Epochs = 1, EpochSeconds = 0 },
            s => s with { Space = space });
        var (study, _) = await StudyOpener.OpenAsync(h.Storage, h.Settings, "{}");
        for (var i = 0; i < 50; i++)
            await h.Storage.CreateTrialAsync(study.Id, TrialState.WAITING, null, new Dictionary<string, object?>
            {
                [StudyAttributes.FixedParams] = EnqueuedConfiguration.ToAttribute(new Dictionary<string, object?> { ["conv_layers"] = 4L }),
            });

        // When the study runs
        var (_, trials) = await h.RunAsync(CoordinatorHarness.Cpu(4), new RandomSampler(5));

        // Then conv2 spreads over its whole range (a second proposal on the children alone reused the stream: conv2 got the
        // parent's low draw, mean quantile 0.13) and conv3 is no copy of conv1 (it was in two trials of three); a uniform
        // conv2's mean quantile is 0.5 with a standard deviation of 0.04 over 50 trials
        Assert.Equal(50, trials.Count(t => t.State == TrialState.COMPLETE && t.Params.Count == 5));
        var quantile = trials.Average(t => (t.Params["conv2_channels"] - 8) / 120.0);
        Assert.InRange(quantile, 0.35, 0.65);
        Assert.True(trials.Count(t => t.Params["conv3_channels"] == t.Params["conv1_channels"]) < 5,
            $"conv3 = conv1 in {trials.Count(t => t.Params["conv3_channels"] == t.Params["conv1_channels"])} of 50 trials");
    }

    /// <summary>Proposes 1 conv layer, conv2 20 and conv3 30 (kept only when given values make them read).</summary>
    private sealed class OneLayerSampler : ISampler
    {
        public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials) =>
            space.Active(new Dictionary<string, double> { ["conv_layers"] = 1, ["learning_rate"] = 1e-3, ["conv2_channels"] = 20, ["conv3_channels"] = 30 });
    }
}
