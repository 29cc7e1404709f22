using Mnist.Search.Gp;
using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Sampling;

/// <summary>
/// Every sampler on a conditional space (<see cref="SearchSpace.Conditions"/> from the worker's table): a trial carries
/// exactly the parameters its values leave active, as Optuna's define-by-run would store them; one sealed subclass per
/// sampler.
/// </summary>
public abstract class ConditionalSpaceTests
{
    protected abstract ISampler Create(int seed);

    /// <summary><c>conv_layers</c> 1..3 searched beside <c>conv2_channels</c> (read from 2 layers) and <c>conv3_channels</c> (from 3).</summary>
    internal static SearchSpace Space { get; } = TrialHistory.Space(
        ("conv_layers", new IntDistribution(1, 3)),
        ("conv2_channels", new IntDistribution(8, 128, Log: true)),
        ("conv3_channels", new IntDistribution(8, 128)),
        ("learning_rate", new FloatDistribution(1e-4, 1e-1, Log: true))).FromTable();

    /// <summary>The names a trial with <paramref name="layers"/> conv layers must carry.</summary>
    internal static string[] ActiveNames(double layers) =>
        [.. new[] { "conv_layers", "learning_rate" }.Concat(layers >= 2 ? ["conv2_channels"] : []).Concat(layers >= 3 ? ["conv3_channels"] : []).Order()];

    /// <summary>Best with 2 layers and wide conv2; conv3 matters only with 3 layers (and then a little).</summary>
    internal static double Objective(IReadOnlyDictionary<string, double> p) =>
        Math.Pow(Math.Log10(p["learning_rate"]) + 2.5, 2) + (p["conv_layers"] == 2 ? 0 : 0.3)
        + (p.TryGetValue("conv2_channels", out var c2) ? 0.2 * Math.Abs(Math.Log2(c2 / 64.0)) : 0.5)
        + (p.TryGetValue("conv3_channels", out var c3) ? 0.001 * c3 : 0);

    [Fact]
    public void ATrialCarriesExactlyTheParametersItsConvLayersLeaveActive()
    {
        // Given the conditions the worker's table has between the searched hyperparameters
        Assert.Equal(["conv2_channels", "conv3_channels"], Space.Conditions.Keys.Order());

        // When a study runs past its start-up
        var history = new TrialHistory(Space).Run(Create(4), StudyDirection.MINIMIZE, Objective, 24);

        // Then each trial has conv2/conv3 exactly when its conv_layers reads them, each value in its range, and both
        // short and deep models were tried
        foreach (var trial in history.Trials)
        {
            Assert.Equal(ActiveNames(trial.Params["conv_layers"]), trial.Params.Keys.Order());
            Assert.All(trial.Params, p => Assert.True(Space[p.Key].Contains(p.Value), $"{p.Key} = {p.Value}"));
        }
        Assert.Contains(history.Trials, t => t.Params["conv_layers"] == 1);
        Assert.Contains(history.Trials, t => t.Params["conv_layers"] == 3);
    }

    /// <summary>Categorical parents: <c>momentum</c> read with <c>sgd</c>, the step schedule's two parameters with <c>step</c>.</summary>
    internal static SearchSpace CategoricalSpace { get; } = TrialHistory.Space(
        ("optimizer", new CategoricalDistribution(["adam", "sgd"])),
        ("momentum", new FloatDistribution(0, 0.999)),
        ("lr_schedule", new CategoricalDistribution(["none", "cosine", "step"])),
        ("lr_step_size", new IntDistribution(1, 10)),
        ("lr_gamma", new FloatDistribution(0.1, 1)),
        ("learning_rate", new FloatDistribution(1e-4, 1e-1, Log: true))).FromTable();

    /// <summary>Best with sgd at momentum 0.9 and a step schedule of gamma 0.5.</summary>
    private static double CategoricalObjective(IReadOnlyDictionary<string, double> p) =>
        Math.Pow(Math.Log10(p["learning_rate"]) + 2.5, 2)
        + (p.TryGetValue("momentum", out var m) ? Math.Abs(m - 0.9) : 0.4)
        + (p.TryGetValue("lr_gamma", out var g) ? Math.Abs(g - 0.5) + 0.01 * p["lr_step_size"] : 0.3);

    [Fact]
    public void ATrialCarriesExactlyTheParametersItsOptimizerAndScheduleLeaveActive()
    {
        // Given the table's conditions on categorical parents: momentum with sgd, lr_step_size and lr_gamma with step
        Assert.Equal(["lr_gamma", "lr_step_size", "momentum"], CategoricalSpace.Conditions.Keys.Order());

        // When a study runs past its start-up
        var history = new TrialHistory(CategoricalSpace).Run(Create(4), StudyDirection.MINIMIZE, CategoricalObjective, 24);

        // Then each trial has momentum exactly with sgd (choice 1) and the step parameters exactly with step (choice 2),
        // each value in its range, and both branches of each parent were tried
        foreach (var trial in history.Trials)
        {
            var (sgd, step) = (trial.Params["optimizer"] == 1, trial.Params["lr_schedule"] == 2);
            string[] expected = [.. new[] { "optimizer", "lr_schedule", "learning_rate" }.Concat(sgd ? ["momentum"] : [])
                .Concat(step ? ["lr_step_size", "lr_gamma"] : []).Order()];
            Assert.Equal(expected, trial.Params.Keys.Order());
            Assert.All(trial.Params, p => Assert.True(CategoricalSpace[p.Key].Contains(p.Value), $"{p.Key} = {p.Value}"));
        }
        Assert.Equal([0.0, 1.0], history.Trials.Select(t => t.Params["optimizer"]).Distinct().Order());
        Assert.Contains(history.Trials, t => t.Params["lr_schedule"] == 2);
        Assert.Contains(history.Trials, t => t.Params["lr_schedule"] != 2);
    }

    [Fact]
    public void AStudyStoredWithEveryChildOnEveryTrialResumesWithOnlyActiveOnes()
    {
        // Given an old-style history: every trial stores conv2 and conv3, also those with 1 conv layer
        var history = new TrialHistory(Space);
        var rng = new Random(7);
        for (var i = 0; i < 12; i++)
        {
            var p = new Dictionary<string, double>
            {
                ["conv_layers"] = 1 + i % 3, ["conv2_channels"] = rng.Next(8, 129), ["conv3_channels"] = rng.Next(8, 129),
                ["learning_rate"] = Math.Pow(10, -4 + 3 * rng.NextDouble()),
            };
            history.Complete(p, Objective(Space.Active(p)));
        }

        // When the study goes on
        var proposals = Enumerable.Range(0, 6).Select(_ =>
        {
            var p = Create(1).Sample(Space, StudyDirection.MINIMIZE, history.Trials);
            history.Complete(p, Objective(p));
            return p;
        }).ToList();

        // Then its new trials carry only their active parameters
        Assert.All(proposals, p => Assert.Equal(ActiveNames(p["conv_layers"]), p.Keys.Order()));
    }
}

public sealed class RandomSamplerConditionalSpaceTests : ConditionalSpaceTests
{
    protected override ISampler Create(int seed) => new RandomSampler(seed);
}

public sealed class TpeSamplerConditionalSpaceTests : ConditionalSpaceTests
{
    protected override ISampler Create(int seed) => new TpeSampler(seed, startupTrials: 5);
}

/// <summary>The GP of a pruned study (fidelity as an input) on the same space.</summary>
public sealed class MultiFidelityGpSamplerConditionalSpaceTests : ConditionalSpaceTests
{
    protected override ISampler Create(int seed) => new GpSampler(new SamplerSettings(SamplerSettings.Gp, StartupTrials: 5, Seed: seed, MaxFidelity: 3));
}

public sealed class GpSamplerConditionalSpaceTests : ConditionalSpaceTests
{
    protected override ISampler Create(int seed) => new GpSampler(new SamplerSettings(SamplerSettings.Gp, StartupTrials: 5, Seed: seed));

    [Fact]
    public void TheAcquisitionItMaximisesIgnoresInactiveColumnsAndAGivenParentsColumn()
    {
        // Given 8 trials past the start-up, and a gp sampler that hands out the acquisitions it maximises
        var history = new TrialHistory(Space).Run(Create(4), StudyDirection.MINIMIZE, Objective, 8);
        var acquisitions = new List<LogEiAcquisition>();
        var sampler = new GpSampler(new SamplerSettings(SamplerSettings.Gp, StartupTrials: 5, Seed: 4)) { Acquired = acquisitions.Add };
        var encoder = new SpaceEncoder(Space);
        var x = encoder.Encode(new Dictionary<string, double> { ["conv_layers"] = 2, ["conv2_channels"] = 40, ["learning_rate"] = 3e-3 });

        // When it proposes for the study's space, and for the space with conv_layers given as 3 (an enqueued trial)
        sampler.Sample(Space, StudyDirection.MINIMIZE, history.Trials);
        var given = sampler.Sample(Space with { Given = new Dictionary<string, double> { ["conv_layers"] = 3 } }, StudyDirection.MINIMIZE, history.Trials);

        // Then a 2-layer point scores the same whatever its conv3 column holds (conv3 is read from 3 layers); with
        // conv_layers given, whatever its conv_layers column holds, and the proposal has 3 layers and both children
        var (deep, wide) = (x.ToArray(), x.ToArray());
        (deep[encoder.Dimensions[2].Column], wide[encoder.Dimensions[2].Column]) = (0.05, 0.95);
        Assert.Equal(acquisitions[0].Value(deep), acquisitions[0].Value(wide));
        var (one, three) = (x.ToArray(), x.ToArray());
        one[encoder.Dimensions[0].Column] = 0;
        Assert.Equal(acquisitions[^1].Value(one), acquisitions[^1].Value(three));
        Assert.NotEqual(acquisitions[0].Value(one), acquisitions[0].Value(three));
        Assert.Equal(3.0, given["conv_layers"]);
        Assert.Equal(ActiveNames(3), given.Keys.Order());
    }

    [Fact]
    public void TrialsThatLackAChildAreObservedWithItsColumnAtOneConstant()
    {
        // Given trials of one and three conv layers, the first without conv2/conv3
        var history = new TrialHistory(Space)
            .Complete(new Dictionary<string, double> { ["conv_layers"] = 1, ["learning_rate"] = 1e-3 }, 0.5)
            .Complete(new Dictionary<string, double> { ["conv_layers"] = 3, ["conv2_channels"] = 8, ["conv3_channels"] = 128, ["learning_rate"] = 1e-2 }, 0.7)
            // stored before conditions: conv3 on a 2-layer trial, which its model never read
            .Complete(new Dictionary<string, double> { ["conv_layers"] = 2, ["conv2_channels"] = 128, ["conv3_channels"] = 8, ["learning_rate"] = 1e-2 }, 0.6);
        var encoder = new SpaceEncoder(Space);

        // When they are turned into observations
        var observations = GpObservations.From(encoder, StudyDirection.MINIMIZE, history.Trials, maxFidelity: 1);

        // Then all three are observed (a trial lacking a searched parameter was skipped), an inactive column is the
        // constant whether the value is absent or stored, and active columns are the values'
        Assert.Equal(3, observations.Count);
        var (conv2, conv3) = (encoder.Dimensions[1].Column, encoder.Dimensions[2].Column);
        Assert.Equal((SpaceEncoder.InactiveFeature, SpaceEncoder.InactiveFeature), (observations[0].X[conv2], observations[0].X[conv3]));
        Assert.Equal(SpaceEncoder.InactiveFeature, observations[2].X[conv3]);
        Assert.True(observations[1].X[conv2] < 0.1 && observations[1].X[conv3] > 0.9, string.Join(", ", observations[1].X));
    }

    [Fact]
    public void TheProjectionSetsInactiveColumnsToTheConstantAndMarksThemFixed()
    {
        // Given a candidate of one conv layer whose conv2/conv3 columns hold arbitrary values
        var encoder = new SpaceEncoder(Space);
        var x = encoder.Encode(new Dictionary<string, double> { ["conv_layers"] = 1, ["learning_rate"] = 1e-3 });
        x[encoder.Dimensions[1].Column] = 0.9;
        x[encoder.Dimensions[2].Column] = 0.1;
        var fixedColumns = new bool[x.Length];

        // When it is projected
        encoder.Projection!(x, fixedColumns);

        // Then those columns take the constant and are marked fixed (zero gradient); conv_layers and the rate are kept
        Assert.Equal((SpaceEncoder.InactiveFeature, SpaceEncoder.InactiveFeature), (x[encoder.Dimensions[1].Column], x[encoder.Dimensions[2].Column]));
        Assert.Equal([false, true, true, false], fixedColumns);
        Assert.Null(new SpaceEncoder(TrialHistory.Mixed).Projection);
    }
}
