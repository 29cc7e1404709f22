using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Sampling;

/// <summary>
/// The GP in a pruned study (issue 9): trials stopped after one epoch are low-fidelity observations of their
/// configuration, not finished runs with a bad score.
/// </summary>
public sealed class GpSamplerMultiFidelityTests
{
    private const int Epochs = 3;
    private static readonly SearchSpace Line = TrialHistory.Space(("x", new FloatDistribution(0, 1)));

    // A learning curve: the final score peaks at x = 0.8, and every configuration gains the same 0.6 between
    // epoch 1 and epoch 3 — so a one-epoch score says where a configuration stands only once the gain is known.
    private static double Score(double x, int epoch) => -Math.Pow(x - 0.8, 2) - 0.6 / epoch + 0.2;

    private static Dictionary<string, double> At(double x) => new() { ["x"] = x };

    private static Dictionary<int, double> Curve(double x, int epochs) =>
        Enumerable.Range(1, epochs).ToDictionary(e => e, e => Score(x, e));

    /// <summary>Full runs on the left half only; the right half, where the optimum is, was pruned after one epoch.</summary>
    private static TrialHistory AshaLikeHistory()
    {
        var history = new TrialHistory(Line);
        foreach (var x in new[] { 0.05, 0.2, 0.35, 0.5 })
            history.Add(TrialState.COMPLETE, At(x), Score(x, Epochs), Curve(x, Epochs));
        foreach (var x in new[] { 0.65, 0.75, 0.85, 0.95 })
            history.Add(TrialState.PRUNED, At(x), Score(x, 1), Curve(x, 1));
        return history;
    }

    private static GpSampler Sampler(int maxFidelity) => new(new SamplerSettings(SamplerSettings.Gp, 4, Seed: 1, maxFidelity));

    [Fact]
    public void WhenTheBestRegionWasOnlySeenAtOneEpochThenTheFidelityAwareGpProposesIt()
    {
        // Given full runs on the left and one-epoch runs (pruned) on the right, where the final score is best
        var history = AshaLikeHistory();

        // When the fidelity-aware GP proposes, and the same GP taking pruned scores at face value does
        var aware = Sampler(Epochs).Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];
        var faceValue = Sampler(0).Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];

        // Then the aware one, having learnt the epoch-1-to-3 gain from the full runs, goes where the best full run
        // will be; at face value the pruned region looks worst and the proposal stays away from it
        Assert.InRange(aware, 0.65, 1.0);
        Assert.InRange(faceValue, 0.0, 0.62);
    }

    [Fact]
    public void WhenTrialsAreRunningWithReportedEpochsThenTheirScoresCountAsEvidence()
    {
        // Given the same study, but the right half still RUNNING after its first epoch instead of pruned
        var history = new TrialHistory(Line);
        foreach (var t in AshaLikeHistory().Trials)
            history.Add(t.State == TrialState.PRUNED ? TrialState.RUNNING : t.State, t.Params, t.Value, t.IntermediateValues);

        // When the fidelity-aware GP looks at it
        var observations = GpObservations.From(new SpaceEncoder(Line), StudyDirection.MAXIMIZE, history.Trials, Epochs);

        // Then every reported epoch is one observation at its fidelity (log-spaced, the last epoch at 1), and only a
        // COMPLETE trial's last epoch is a final result
        Assert.Equal(4 * Epochs + 4, observations.Count);
        Assert.Equal([0.0, Math.Log(2) / Math.Log(3), 1.0], observations.Select(o => o.X[^1]).Distinct().Order());
        Assert.All(observations.Where(o => o.Final), o => Assert.Equal(TrialState.COMPLETE, o.Trial.State));
        Assert.Equal(4, observations.Count(o => o.Final));
        Assert.Equal(-Score(0.65, 1), observations.Single(o => o.Trial.Params["x"] == 0.65).Y, 12);
    }

    [Fact]
    public void WhenOneFidelityThenAPrunedTrialIsOneObservationAtItsLastValue()
    {
        // Given the same history in a study whose GP does not model fidelity
        var history = AshaLikeHistory();

        // When its observations are built
        var observations = GpObservations.From(new SpaceEncoder(Line), StudyDirection.MAXIMIZE, history.Trials, maxFidelity: 0);

        // Then each trial is one point, without a fidelity column, pruned ones at their last value
        Assert.Equal(8, observations.Count);
        Assert.All(observations, o => Assert.Single(o.X));
        Assert.Equal(-Score(0.95, 1), observations.Single(o => o.Trial.Params["x"] == 0.95).Y, 12);
    }

    [Fact]
    public void WhenRecommendingInAPrunedStudyThenOnlyAFullRunIsPicked()
    {
        // Given pruned one-epoch trials, one of them with a higher raw score than any full run
        var history = AshaLikeHistory();
        history.Add(TrialState.PRUNED, At(0.8), 0.9, new Dictionary<int, double> { [1] = 0.9 });

        // When the GP recommends the configuration to retrain
        var pick = Sampler(Epochs).Recommend(Line, StudyDirection.MAXIMIZE, history.Trials);

        // Then it is a COMPLETE trial (the pruned one never trained a full run)
        Assert.NotNull(pick);
        Assert.Equal(TrialState.COMPLETE, history.Trials[pick!.Value].State);
    }

    private static Dictionary<int, double> Rising(double final) => new() { [1] = final - 0.2, [2] = final - 0.1, [3] = final };

    /// <summary>Full runs crowded around x = 0.3 (the incumbent, values within seed noise), two poor ones at the ends.</summary>
    private static TrialHistory CrowdedHistory(int trials)
    {
        var history = new TrialHistory(Line);
        var crowd = new[] { 0.26, 0.28, 0.3, 0.32, 0.34, 0.27, 0.31, 0.33 };
        var noise = new[] { 0.004, -0.003, 0.002, -0.004, 0.001, 0.003, -0.002, 0.0 };
        history.Add(TrialState.COMPLETE, At(0.0), 0.5, Rising(0.5));
        history.Add(TrialState.COMPLETE, At(1.0), 0.6, Rising(0.6));
        for (var i = 0; history.Trials.Count < trials; i++)
        {
            var v = 0.9 + noise[i];
            history.Add(TrialState.COMPLETE, At(crowd[i]), v, Rising(v));
        }
        return history;
    }

    [Fact]
    public void WhenTheTrialIsOddNumberedThenTheProposalExploresAndOtherwiseItIsPlainEi()
    {
        // Given a study that has crowded its trials around one good region, at an odd and at an even trial number
        var odd = CrowdedHistory(9).Trials;
        var even = CrowdedHistory(10).Trials;
        var explorer = Sampler(Epochs);
        var exploiter = new GpSampler(new SamplerSettings(SamplerSettings.Gp, 4, Seed: 1, Epochs)) { ExplorationMargin = 0 };

        // When the default GP and one that never explores propose
        var explored = explorer.Sample(Line, StudyDirection.MAXIMIZE, odd)["x"];
        var exploited = exploiter.Sample(Line, StudyDirection.MAXIMIZE, odd)["x"];

        // Then on the odd trial the default one goes farther from the crowd than plain EI, out of the crowd itself;
        // on the even trial both are plain EI and propose the same point
        Assert.True(Math.Abs(explored - 0.3) > Math.Abs(exploited - 0.3) + 0.05, $"explored {explored:F3}, plain EI {exploited:F3}");
        Assert.False(explored is >= 0.24 and <= 0.36, $"explored {explored:F3} is inside the crowd");
        Assert.Equal(exploiter.Sample(Line, StudyDirection.MAXIMIZE, even)["x"], explorer.Sample(Line, StudyDirection.MAXIMIZE, even)["x"]);
    }

    [Fact]
    public void WhenRunningTrialsAreBelievedThenTheirPointKeepsItsPredictionWhileAFailedOneIsWrittenOff()
    {
        // Given the ASHA-like study and the proposal plain EI makes next, in the best region (no exploration step, so
        // only the pending point differs)
        var history = AshaLikeHistory();
        GpSampler PlainEi(bool believer = false) => PlainEiBelievingFrom(believer ? 1 : 2);
        var next = PlainEi().Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];
        TrialHistory With(TrialState state)
        {
            var h = new TrialHistory(Line);
            foreach (var t in history.Trials) h.Add(t.State, t.Params, t.Value, t.IntermediateValues);
            return h.Add(state, At(next));
        }

        // When a trial runs there (no epoch reported yet) and the GP believes its prediction, the default (worst-value lie), or one failed there
        var believer = PlainEi(believer: true).Sample(Line, StudyDirection.MAXIMIZE, With(TrialState.RUNNING).Trials)["x"];
        var pessimist = PlainEi().Sample(Line, StudyDirection.MAXIMIZE, With(TrialState.RUNNING).Trials)["x"];
        var afterFailure = PlainEi(believer: true).Sample(Line, StudyDirection.MAXIMIZE, With(TrialState.FAIL).Trials)["x"];

        // Then the running trial only lowers the uncertainty there: the next proposal stays in the best region, nearer
        // than when the running trial is assumed as bad as the worst, as a failed one is
        Assert.InRange(believer, 0.65, 1.0);
        Assert.True(Math.Abs(believer - next) + 0.05 < Math.Abs(pessimist - next), $"believer {believer:F3}, pessimist {pessimist:F3}, next {next:F3}");
        Assert.True(Math.Abs(believer - next) + 0.05 < Math.Abs(afterFailure - next), $"believer {believer:F3}, after failure {afterFailure:F3}, next {next:F3}");
    }

    [Fact]
    public void WhenRunningTrialsAreLeftOutThenTheNextProposalIgnoresThemButAFailedTrialIsStillWrittenOff()
    {
        // Given the ASHA-like study, a GP that leaves running trials out (no exploration step), and where it proposes next
        var history = AshaLikeHistory();
        GpSampler Ignoring() => new(new SamplerSettings(SamplerSettings.Gp, 4, Seed: 1, Epochs)) { ExplorationMargin = 0, ConditionOnRunning = false };
        var next = Ignoring().Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];
        TrialHistory With(TrialState state)
        {
            var h = new TrialHistory(Line);
            foreach (var t in history.Trials) h.Add(t.State, t.Params, t.Value, t.IntermediateValues);
            return h.Add(state, At(next));
        }

        // When a trial runs there, or failed there
        var whileRunning = Ignoring().Sample(Line, StudyDirection.MAXIMIZE, With(TrialState.RUNNING).Trials)["x"];
        var afterFailure = Ignoring().Sample(Line, StudyDirection.MAXIMIZE, With(TrialState.FAIL).Trials)["x"];
        var pessimist = PlainEiBelievingFrom(int.MaxValue).Sample(Line, StudyDirection.MAXIMIZE, With(TrialState.RUNNING).Trials)["x"];

        // Then the running trial changes nothing the GP knows: the proposal stays at the same point (up to the
        // acquisition's search), while a failure there, and the worst-value lie, push the proposal away
        Assert.True(Math.Abs(whileRunning - next) < 0.02, $"while running {whileRunning:F3}, next {next:F3}");
        Assert.True(Math.Abs(afterFailure - next) > 0.05, $"after failure {afterFailure:F3}, next {next:F3}");
        Assert.True(Math.Abs(pessimist - next) > 0.05, $"pessimist {pessimist:F3}, next {next:F3}");
    }

    private static GpSampler PlainEiBelievingFrom(int running) =>
        new(new SamplerSettings(SamplerSettings.Gp, 4, Seed: 1, Epochs)) { ExplorationMargin = 0, BelieveFromRunning = running };

    [Fact]
    public void WhenSeveralTrialsRunInTheBestRegionThenTheyAreBelievedAndTheNextProposalStaysThere()
    {
        // Given the ASHA-like study and two trials running (no epoch reported yet) where plain EI would propose next
        var history = AshaLikeHistory();
        GpSampler Default() => new(new SamplerSettings(SamplerSettings.Gp, 4, Seed: 1, Epochs)) { ExplorationMargin = 0 };
        var next = Default().Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];
        history.Add(TrialState.RUNNING, At(next));
        history.Add(TrialState.RUNNING, At(next - 0.03));

        // When the default GP proposes, and the same GP that always believes / never believes running trials
        var byDefault = Default().Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];
        var believer = PlainEiBelievingFrom(1).Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];
        var pessimist = PlainEiBelievingFrom(int.MaxValue).Sample(Line, StudyDirection.MAXIMIZE, history.Trials)["x"];

        // Then with two running the default conditions them on its prediction, as the believer does: the region they
        // run in is not written off, while the worst-value lie pushes the proposal out of it
        Assert.Equal(believer, byDefault);
        Assert.InRange(byDefault, 0.65, 1.0);
        Assert.True(Math.Abs(byDefault - next) + 0.05 < Math.Abs(pessimist - next), $"default {byDefault:F3}, pessimist {pessimist:F3}, next {next:F3}");
    }
}
