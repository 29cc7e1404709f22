using Mnist.Search.Config;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Study;

/// <summary>Issue 9: which configuration is evaluated again, and which one the study then chooses.</summary>
public sealed class RepeatedEvaluationTests
{
    private static readonly SelectionConfig TopTwoTwice = new(2, 2);

    private static TrialSnapshot Trial(int number, TrialState state, double? value, int? repeatOf = null, int? retryOf = null)
    {
        var attrs = new Dictionary<string, string>();
        if (repeatOf is { } r) attrs[StudyAttributes.RepeatOf] = r.ToString();
        if (retryOf is { } f) attrs[StudyAttributes.RetryOf] = f.ToString();
        return SomeTrials.With(state) with { Number = number, Value = value, SystemAttrs = attrs };
    }

    private static TrialSnapshot? Next(IReadOnlyList<TrialSnapshot> trials, int total, SelectionConfig? plan = null) =>
        RepeatedEvaluation.Next(trials, StudyDirection.MAXIMIZE, plan ?? TopTwoTwice, Budget.Of(trials, total));

    [Fact]
    public void NoRepeatIsMadeWhileMoreNewTrialsMayStartThanRepeatsAreOwed()
    {
        // Given 5 finished trials of a budget of 10, with 4 repeats planned: 5 new trials may still start
        var trials = Enumerable.Range(0, 5).Select(n => Trial(n, TrialState.COMPLETE, 0.9 + n / 100.0)).ToList();

        // Then the sampler proposes the next one; from the sixth trial on, the best one is repeated
        Assert.Null(Next(trials, 10));
        trials.Add(Trial(5, TrialState.PRUNED, 0.5));
        Assert.Equal(4, Next(trials, 10)?.Number);
        // And nothing is ever repeated without a selection
        Assert.Null(Next(trials, 10, SelectionConfig.None));
    }

    [Fact]
    public void TheBestOriginalsAreRepeatedInOrderUntilEachHasItsRepeats()
    {
        // Given trials 0..5 (the best: 5, then 4), trial 5 already repeated twice and trial 4 once (one still running)
        var trials = Enumerable.Range(0, 6).Select(n => Trial(n, TrialState.COMPLETE, 0.9 + n / 100.0)).ToList();
        trials.Add(Trial(6, TrialState.COMPLETE, 0.99, repeatOf: 5));
        trials.Add(Trial(7, TrialState.COMPLETE, 0.80, repeatOf: 5));
        trials.Add(Trial(8, TrialState.RUNNING, null, repeatOf: 4));

        // Then the next trial repeats trial 4 — not 5 (done), not the repeats themselves, not trial 3 (not a candidate)
        Assert.Equal(4, Next(trials, 10)?.Number);

        // And once trial 4 has its second repeat nothing is owed
        trials.Add(Trial(9, TrialState.RUNNING, null, repeatOf: 4));
        Assert.Null(Next(trials, 10));
    }

    [Fact]
    public void ARepeatWhoseProcessDiedIsReplacedByItsRetryNotCountedTwice()
    {
        // Given trial 6, a repeat of 5, failed and was queued again as trial 7 (still a repeat of 5)
        var trials = Enumerable.Range(0, 6).Select(n => Trial(n, TrialState.COMPLETE, 0.9 + n / 100.0)).ToList();
        trials.Add(Trial(6, TrialState.FAIL, null, repeatOf: 5));
        trials.Add(Trial(7, TrialState.WAITING, null, repeatOf: 5, retryOf: 6));

        // Then trial 5 has one repeat so far, and the next new trial repeats it again
        Assert.Equal(5, Next(trials, 9)?.Number);
    }

    [Fact]
    public void WithFewerFinishedCandidatesThanPlannedTheSamplerProposes()
    {
        // Given one COMPLETE trial (the others pruned) and 4 repeats owed by the last 4 trials
        var trials = new List<TrialSnapshot> { Trial(0, TrialState.COMPLETE, 0.9) };
        trials.AddRange(Enumerable.Range(1, 5).Select(n => Trial(n, TrialState.PRUNED, 0.5)));

        // Then trial 0 is repeated twice, then nothing is left to repeat
        Assert.Equal(0, Next(trials, 10)?.Number);
        trials.Add(Trial(6, TrialState.COMPLETE, 0.91, repeatOf: 0));
        trials.Add(Trial(7, TrialState.COMPLETE, 0.92, repeatOf: 0));
        Assert.Null(Next(trials, 10));
    }

    [Fact]
    public void WhenNoFinishedCandidateLacksARepeatThePlaceWaitsForARunningOriginal()
    {
        // Given 7 trials, the last 2 kept for one repeat each of the top 2: trial 0 finished and repeated (trial 5), trial 4
        // (an original) still running, the rest pruned
        var plan = new SelectionConfig(2, 1);
        var trials = new List<TrialSnapshot> { Trial(0, TrialState.COMPLETE, 0.876) };
        trials.AddRange(Enumerable.Range(1, 3).Select(n => Trial(n, TrialState.PRUNED, 0.5)));
        trials.Add(Trial(4, TrialState.RUNNING, null));
        trials.Add(Trial(5, TrialState.COMPLETE, 0.846, repeatOf: 0));
        bool Awaits() => RepeatedEvaluation.AwaitsCandidate(trials, StudyDirection.MAXIMIZE, plan, Budget.Of(trials, 7));

        // Then nothing is repeated yet, and the last place waits for trial 4 rather than going to a new configuration
        // (which could never be chosen: it went to one, and trial 0's mean of 0.861 was chosen over 4's 0.886)
        Assert.Null(Next(trials, 7, plan));
        Assert.True(Awaits());

        // And once trial 4 has finished it is repeated; had it been pruned, the sampler would propose
        trials[4] = Trial(4, TrialState.COMPLETE, 0.886);
        Assert.Equal(4, Next(trials, 7, plan)?.Number);
        Assert.False(Awaits());
        trials[4] = Trial(4, TrialState.PRUNED, 0.7);
        Assert.Null(Next(trials, 7, plan));
        Assert.False(Awaits());
    }

    [Fact]
    public void TheChoiceIsTheBestMeanOfTheRepeatedConfigurationsNotTheLuckiestValue()
    {
        // Given trial 3 scored best once (0.99, never repeated), and trials 1 and 2 were repeated
        var trials = new List<TrialSnapshot>
        {
            Trial(0, TrialState.COMPLETE, 0.95),
            Trial(1, TrialState.COMPLETE, 0.97),
            Trial(2, TrialState.COMPLETE, 0.96),
            Trial(3, TrialState.COMPLETE, 0.99),
            Trial(4, TrialState.COMPLETE, 0.93, repeatOf: 1),
            Trial(5, TrialState.COMPLETE, 0.95, repeatOf: 2),
            Trial(6, TrialState.FAIL, null, repeatOf: 2),
        };

        // When the study's choice is made
        var choice = BestTrial.Choose(trials, StudyDirection.MAXIMIZE)!;

        // Then it is trial 2, by the mean of its two COMPLETE evaluations (0.955 against trial 1's 0.95)
        Assert.Equal(2, choice.Trial.Number);
        Assert.Equal(0.955, choice.Value, 6);
        Assert.Equal(2, choice.Evaluations);
        Assert.Equal(2, BestTrial.Of(trials, StudyDirection.MAXIMIZE)!.Number);
        // And minimizing, the lower mean wins
        Assert.Equal(1, BestTrial.Choose(trials, StudyDirection.MINIMIZE)!.Trial.Number);
    }

    [Fact]
    public void WithoutRepeatsTheChoiceIsTheBestSingleValueAsInOptuna()
    {
        // Given plain trials, and a repeat whose original never completed
        var trials = new List<TrialSnapshot>
        {
            Trial(0, TrialState.COMPLETE, 0.95),
            Trial(1, TrialState.COMPLETE, 0.97),
            Trial(2, TrialState.PRUNED, 0.50),
            Trial(3, TrialState.COMPLETE, 0.97),
            Trial(4, TrialState.COMPLETE, 0.96, repeatOf: 2),
        };

        // Then the best value wins, ties to the lower number, one evaluation
        var choice = BestTrial.Choose(trials, StudyDirection.MAXIMIZE)!;
        Assert.Equal(1, choice.Trial.Number);
        Assert.Equal(0.97, choice.Value);
        Assert.Equal(1, choice.Evaluations);
        Assert.Null(BestTrial.Choose([Trial(0, TrialState.PRUNED, 0.9)], StudyDirection.MAXIMIZE));
    }
}
