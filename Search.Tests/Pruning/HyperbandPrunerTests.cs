using System.Text.Json.Nodes;
using Mnist.Search.Pruning;
using Mnist.Search.Tests.Support.Storage;
using Mnist.Search.Tests.Support.Study;
using Mnist.Search.Vocabulary;
using Mnist.Search.Tests.Support;

namespace Mnist.Search.Tests.Pruning;

[Trait(Needs.Name, Needs.Optuna4)]
public sealed class HyperbandPrunerTests
{
    [Fact]
    public async Task EveryTrialFallsInTheBracketOptuna4WouldPutItIn()
    {
        // Given Optuna 4's HyperbandPruner for five settings, one of them the default study's (epochs 1..3, η 3), two at
        // an exact power whose floating-point logarithm rounds down (log₃ 243 = 4.999…: Optuna counts 5 brackets, exact
        // arithmetic 6, and every trial's bracket differed)
        var settings = new[] { (Min: 1, Max: 3, Eta: 3), (Min: 1, Max: 27, Eta: 3), (Min: 2, Max: 20, Eta: 2), (Min: 1, Max: 243, Eta: 3), (Min: 1, Max: 1000, Eta: 10) };
        var printed = await OptunaRunner.RunPythonAsync("""
            import json, sys, types, optuna
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            out = []
            for spec in sys.argv[2:]:
                lo, hi, eta = map(int, spec.split(","))
                pruner = optuna.pruners.HyperbandPruner(min_resource=lo, max_resource=hi, reduction_factor=eta)
                study = optuna.create_study(study_name=sys.argv[1], pruner=pruner)
                pruner._try_initialization(study)
                out.append({"brackets": pruner._n_brackets,
                            "of": [pruner._get_bracket_id(study, types.SimpleNamespace(number=n)) for n in range(300)]})
            print(json.dumps(out))
            """, ["mnist-cnn", .. settings.Select(s => $"{s.Min},{s.Max},{s.Eta}")]);
        var optuna = JsonNode.Parse(printed)!.AsArray();

        // Then ours has as many brackets and puts each of 300 trial numbers where Optuna does
        foreach (var (s, expected) in settings.Zip(optuna))
        {
            var ours = new HyperbandPruner("mnist-cnn", s.Min, s.Max, s.Eta);
            Assert.Equal((int)expected!["brackets"]!, ours.Brackets);
            Assert.Equal(expected["of"]!.AsArray().Select(b => (int)b!), Enumerable.Range(0, 300).Select(ours.BracketOf));
        }
    }

    [Fact]
    public void WithThreeEpochsThreeFifthsOfTrialsMayStopAfterOneEpochAndTheRestRunInFull()
    {
        // Brackets 0 and 1 with shares ⌈2·3/2⌉ = 3 and ⌈2·1/1⌉ = 2: bracket 0 judges at epoch 1, bracket 1 at epoch 3,
        // the last, which completes a trial: never pruned (the log said "judged from epoch 3")
        var pruner = new HyperbandPruner("mnist-cnn", minResource: 1, maxResource: 3, reductionFactor: 3);
        Assert.Equal(2, pruner.Brackets);
        Assert.Equal((1, 3), (pruner.FirstRung(0), pruner.FirstRung(1)));
        var inFirst = Enumerable.Range(0, 5000).Count(n => pruner.BracketOf(n) == 0) / 5000.0;
        Assert.InRange(inFirst, 0.57, 0.63);
        // And the study log says so at start
        Assert.Equal("Hyperband over epochs 1–3, 1/3 continue at a rung: bracket 0 (3/5 of trials) judged from epoch 1; " +
            "bracket 1 (2/5 of trials) never pruned", pruner.ToString());
    }

    [Fact]
    public void ATrialOfTheLastBracketIsNotPrunedAtEpochOneHoweverPoorly()
    {
        // Given six finished trials of bracket 0 that scored well at epoch 1
        var pruner = new HyperbandPruner("mnist-cnn", minResource: 1, maxResource: 3, reductionFactor: 3);
        var numbers = Numbers(pruner);
        var others = numbers[0].Take(6).Select(n => Trial(n, TrialState.COMPLETE, 0.95, 0.97, 0.98)).ToList();

        // When the worst trial yet reports epoch 1, once in bracket 1 and once in bracket 0
        var lastBracket = Trial(numbers[1][0], TrialState.RUNNING, 0.10);
        var firstBracket = Trial(numbers[0][6], TrialState.RUNNING, 0.10);

        // Then only the one in bracket 0 stops: bracket 1's first rung is the full budget
        Assert.False(pruner.ShouldPrune(lastBracket, [.. others, lastBracket], StudyDirection.MAXIMIZE));
        Assert.True(pruner.ShouldPrune(firstBracket, [.. others, firstBracket], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void ABracketJudgesItsTrialsOnlyAgainstItsOwn()
    {
        // Given epoch-1 scores: bracket 0's trials 0.50-0.70, bracket 1's (never judged at epoch 1) 0.90-0.99
        var pruner = new HyperbandPruner("mnist-cnn", minResource: 1, maxResource: 9, reductionFactor: 3);
        var numbers = Numbers(pruner);
        var own = new[] { 0.50, 0.60, 0.70 }.Select((v, i) => Trial(numbers[0][i], TrialState.PRUNED, v)).ToList();
        var strong = new[] { 0.90, 0.95, 0.99 }.Select((v, i) => Trial(numbers[1][i], TrialState.COMPLETE, v, 0.99, 0.99)).ToList();

        // When a bracket-0 trial reports 0.80 at epoch 1
        var trial = Trial(numbers[0][3], TrialState.RUNNING, 0.80);

        // Then it continues: it leads its bracket, though ASHA over every trial would stop it
        Assert.False(pruner.ShouldPrune(trial, [.. own, .. strong, trial], StudyDirection.MAXIMIZE));
        Assert.True(new SuccessiveHalvingPruner(1, 3).ShouldPrune(trial, [.. own, .. strong, trial], StudyDirection.MAXIMIZE));
    }

    [Fact]
    public void SettingsThatCannotFormABracketAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HyperbandPruner("s", 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HyperbandPruner("s", 4, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HyperbandPruner("s", 1, 3, 1));
        Assert.Equal(1, new HyperbandPruner("s", 3, 3).Brackets);
    }

    // Trial numbers of each bracket, in order.
    private static List<int>[] Numbers(HyperbandPruner pruner) =>
        [.. Enumerable.Range(0, pruner.Brackets).Select(b => Enumerable.Range(0, 200).Where(n => pruner.BracketOf(n) == b).ToList())];

    private static TrialSnapshot Trial(int number, TrialState state, params double[] curve) =>
        SomeTrials.With(state, curve) with { Number = number };
}
