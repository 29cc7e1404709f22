using System.Globalization;
using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Sampling;

/// <summary>
/// The gp sampler on studies of a given size. Proposals on short studies are pinned to the last bit: the expected
/// values below were printed by the sampler of commit ea1645b (before its GP was capped on long studies) on these
/// very histories, so a change meant for long studies cannot move the default study's proposals (issue 9's figures).
/// Long studies' GPs are capped (<see cref="GpConditioning"/>).
/// </summary>
public sealed class GpSamplerScaleTests
{
    /// <summary>The default study's space (search.json).</summary>
    internal static readonly SearchSpace Default = TrialHistory.Space(
        ("conv1_channels", new IntDistribution(8, 16, Log: true)),
        ("conv2_channels", new IntDistribution(16, 32, Log: true)),
        ("conv3_channels", new IntDistribution(32, 64, Log: true)),
        ("fc_width", new IntDistribution(32, 256, Log: true)),
        ("dropout", new FloatDistribution(0, 0.5)),
        ("learning_rate", new FloatDistribution(0.0003, 0.01, Log: true)),
        ("batch_size", new CategoricalDistribution([64L, 128L, 256L])));

    /// <summary>
    /// A default-like pruned study with about <paramref name="observations"/> GP observations: half the trials COMPLETE
    /// after 3 epochs, most of the rest PRUNED after 1, one in twenty FAIL; then <paramref name="running"/> RUNNING trials.
    /// </summary>
    internal static TrialHistory PrunedStudy(int observations, int running, int seed = 3)
    {
        var history = new TrialHistory(Default);
        var random = new RandomSampler(seed);
        var rng = new Random(seed);
        var count = 0;
        while (count < observations)
        {
            var p = random.Sample(Default, StudyDirection.MAXIMIZE, history.Trials);
            var lr = Math.Log10(p["learning_rate"]);
            var u = rng.NextDouble();
            var noise = 0.002 * rng.NextDouble();
            double Accuracy(int epoch) => 0.99 - 0.01 * (lr + 2.2) * (lr + 2.2) - 0.02 * Math.Abs(p["dropout"] - 0.2) - 0.01 / epoch + noise;
            var (state, epochs) = u < 0.5 ? (TrialState.COMPLETE, 3) : u < 0.95 ? (TrialState.PRUNED, 1) : (TrialState.FAIL, 0);
            var curve = Enumerable.Range(1, epochs).ToDictionary(e => e, Accuracy);
            history.Add(state, p, state == TrialState.COMPLETE ? curve[3] : null, curve);
            count += epochs;
        }
        for (var i = 0; i < running; i++)
            history.Add(TrialState.RUNNING, random.Sample(Default, StudyDirection.MAXIMIZE, history.Trials));
        return history;
    }

    /// <summary>A single-fidelity study on the mixed space: 40 complete trials, one running, two failed.</summary>
    private static TrialHistory SingleFidelityStudy()
    {
        var history = new TrialHistory(TrialHistory.Mixed);
        var random = new RandomSampler(11);
        for (var i = 0; i < 40; i++)
        {
            var p = random.Sample(TrialHistory.Mixed, StudyDirection.MINIMIZE, history.Trials);
            if (i is 17 or 29) history.Add(TrialState.FAIL, p);
            else history.Complete(p, TrialHistory.MixedObjective(p));
        }
        return history.Add(TrialState.RUNNING, random.Sample(TrialHistory.Mixed, StudyDirection.MINIMIZE, history.Trials));
    }

    private static string Format(IReadOnlyDictionary<string, double> proposal) =>
        string.Join(";", proposal.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.ToString("R", CultureInfo.InvariantCulture)}"));

    [Fact]
    public void WhenASingleFidelityStudyIsBelowTheCapThenTheProposalIsTheUncappedSamplers()
    {
        // Given 40 trials of one fidelity, with a running and two failed ones (pending points)
        var history = SingleFidelityStudy();

        // When the gp sampler proposes
        var proposal = new GpSampler(new SamplerSettings(SamplerSettings.Gp, 10, Seed: 1)).Sample(TrialHistory.Mixed, StudyDirection.MINIMIZE, history.Trials);

        // Then it is, bit for bit, what the sampler proposed before the cap existed
        Assert.Equal(
            "batch=192;batch_norm=0;channels=49;dropout=0.3621317383722682;layers=2;lr=0.001369127091470355;momentum=0.65;optimizer=1",
            Format(proposal));
    }

    [Theory]
    [InlineData(1, "batch_size=2;conv1_channels=16;conv2_channels=18;conv3_channels=32;dropout=0.15450024715466745;fc_width=157;learning_rate=0.01")]
    [InlineData(2, "batch_size=1;conv1_channels=13;conv2_channels=26;conv3_channels=38;dropout=0.18245534534479718;fc_width=155;learning_rate=0.008251722811991588")]
    public void WhenAPrunedStudyIsBelowTheCapThenTheProposalIsTheUncappedSamplers(int running, string expected)
    {
        // Given the default study's space, pruned: about 120 observations of 3 fidelities, failed trials and
        // one running trial (the worst-value lie) or two (the kriging believer)
        var history = PrunedStudy(120, running);

        // When the gp sampler proposes as the default study's does (3 epochs, seed 42, 12 start-up trials)
        var proposal = new GpSampler(new SamplerSettings(SamplerSettings.Gp, 12, Seed: 42, MaxFidelity: 3)).Sample(Default, StudyDirection.MAXIMIZE, history.Trials);

        // Then it is, bit for bit, what the sampler proposed before the cap existed
        Assert.Equal(expected, Format(proposal));
    }

    [Fact]
    public void WhenObservationsAndPendingPointsFitTheGpsSizeThenTheProposalIsTheUncappedSamplers()
    {
        // Given about 300 observations and 150 failed trials more (pending points beyond their own share of 125, within
        // what the observations leave of the GP's 625 points)
        var history = PrunedStudy(300, running: 1);
        var random = new RandomSampler(5);
        for (var i = 0; i < 150; i++) history.Add(TrialState.FAIL, random.Sample(Default, StudyDirection.MAXIMIZE, history.Trials));
        var settings = new SamplerSettings(SamplerSettings.Gp, 12, Seed: 42, MaxFidelity: 3);

        // When the gp sampler proposes, and one without caps
        var capped = new GpSampler(settings).Sample(Default, StudyDirection.MAXIMIZE, history.Trials);
        var uncapped = new GpSampler(settings) { MaxObservations = int.MaxValue, MaxPending = int.MaxValue }.Sample(Default, StudyDirection.MAXIMIZE, history.Trials);

        // Then they propose the same, bit for bit (the pending points were cut to 125 alone, and the proposal changed)
        Assert.Equal(Format(uncapped), Format(capped));
    }

    [Fact]
    public void WhenAPrunedStudyHasThousandsOfObservationsThenTheGpIsConditionedOnAtMostTheCap()
    {
        // Given a long pruned study of the default space: about 3,000 observations (every reported epoch is one), with
        // failed trials and one running (the uncapped GP was built on all of them: an ask of minutes and gigabytes)
        var history = PrunedStudy(3000, running: 1);
        var sizes = new List<int>();
        var sampler = new GpSampler(new SamplerSettings(SamplerSettings.Gp, 12, Seed: 42, MaxFidelity: 3)) { Conditioned = sizes.Add };

        // When it proposes
        var proposal = sampler.Sample(Default, StudyDirection.MAXIMIZE, history.Trials);

        // Then a proposal inside the space comes from GPs of at most the cap's size: the observations' GP and the one
        // with the pending points (the running trial and the failed ones)
        Assert.True(history.Trials.Sum(t => t.IntermediateValues.Count) >= 3000);
        Assert.Equal(2, sizes.Count);
        Assert.Equal(GpConditioning.MaxObservations, sizes[0]);
        Assert.InRange(sizes[1], sizes[0] + 2, GpConditioning.MaxObservations + GpConditioning.MaxPending);
        Assert.All(Default.Parameters, p => Assert.True(p.Value.Contains(proposal[p.Key]), $"{p.Key} = {proposal[p.Key]}"));
    }

    [Fact]
    public void WhenTheCapIsExceededThenTheSubsetIsDeterministicAndKeepsTheBestPoints()
    {
        // Given 400 values and a cap of 100
        var rng = new Random(5);
        var values = Enumerable.Range(0, 400).Select(_ => rng.NextDouble()).ToArray();
        var incumbent = Array.IndexOf(values, values.OrderBy(v => v).ElementAt(200)); // not among the best quarter

        // When the observations to condition on are chosen twice from the same (seed, number of trials)
        var kept = GpConditioning.Observations(values, incumbent, 100, new Random(9))!;
        var again = GpConditioning.Observations(values, incumbent, 100, new Random(9))!;

        // Then both choose the same 100, in order, with the 25 best and the incumbent among them
        Assert.Equal(kept, again);
        Assert.Equal(100, kept.Distinct().Count());
        Assert.Equal(kept.Order(), kept);
        Assert.Subset(kept.ToHashSet(), Enumerable.Range(0, 400).OrderBy(i => values[i]).Take(25).ToHashSet());
        Assert.Contains(incumbent, kept);
        // And at or below the cap nothing is chosen: every point is kept
        Assert.Null(GpConditioning.Observations(values, incumbent, 400, new Random(9)));
    }

    [Fact]
    public void WhenThereAreMorePendingPointsThanTheCapThenRunningOnesAndTheLatestFailedOnesAreKept()
    {
        // Given, in trial order, 6 failed and 2 running pending points
        var pending = new List<(int Number, bool Failed)> { (1, true), (2, true), (3, false), (4, true), (5, true), (6, true), (7, false), (8, true) };

        // When at most 5 are kept
        var kept = GpConditioning.Pending(pending, p => p.Failed, 5);

        // Then the running ones and the three latest failed ones, in trial order; at or below the cap all of them
        Assert.Equal([3, 5, 6, 7, 8], kept.Select(p => p.Number));
        Assert.Same(pending, GpConditioning.Pending(pending, p => p.Failed, 8));
    }

    [Fact]
    public void WhenAProposalIsCancelledThenItStopsWithOperationCanceled()
    {
        // Given a pruned study past start-up, and a stop that comes once the GP is built, during the acquisition
        var history = PrunedStudy(120, running: 1);
        using var stop = new CancellationTokenSource();
        var sampler = new GpSampler(new SamplerSettings(SamplerSettings.Gp, 12, Seed: 42, MaxFidelity: 3)) { Conditioned = _ => stop.Cancel() };

        // When it proposes, then the proposal ends with the stop instead of running to its end
        Assert.ThrowsAny<OperationCanceledException>(() => sampler.Sample(Default, StudyDirection.MAXIMIZE, history.Trials, stop.Token));
        // And through the interface the coordinator calls, a stop before the proposal ends it too
        ISampler asCoordinatorSees = new GpSampler(new SamplerSettings(SamplerSettings.Gp, 12, Seed: 42, MaxFidelity: 3));
        Assert.ThrowsAny<OperationCanceledException>(() => asCoordinatorSees.Sample(Default, StudyDirection.MAXIMIZE, history.Trials, new CancellationToken(canceled: true)));
    }
}
