using Mnist.Search.Retraining;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Sampling;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Retraining;

public sealed class RetrainChoiceTests
{
    private static readonly SearchSpace Line = TrialHistory.Space(("x", new FloatDistribution(0, 1)));

    private static Dictionary<string, double> At(double x) => new() { ["x"] = x };

    [Fact]
    public void WhenTheBestValueIsALuckySeedThenTheConsistentlyBetterConfigurationIsRetrained()
    {
        // Given three configurations evaluated three times each (maximize); x = 0.2's best seed (0.975) tops
        // every other value, but x = 0.6 is better on average (0.962 against 0.940)
        var history = new TrialHistory(Line);
        foreach (var (x, v) in new[] { (0.2, 0.975), (0.6, 0.96), (0.9, 0.90), (0.2, 0.92), (0.6, 0.965), (0.9, 0.91), (0.2, 0.925), (0.6, 0.96), (0.9, 0.89) })
            history.Complete(At(x), v);

        // When the retrain picks its trial
        var chosen = RetrainChoice.Of(Line, StudyDirection.MAXIMIZE, history.Trials, seed: 42);

        // Then it is one of x = 0.6's trials, while Optuna's best trial is the lucky one
        Assert.Equal(0.6, chosen!.Params["x"]);
        Assert.Equal(0.2, BestTrial.Of(history.Trials, StudyDirection.MAXIMIZE)!.Params["x"]);
    }

    [Fact]
    public void WhenFewTrialsCompletedThenTheBestValueIsRetrained()
    {
        // Given fewer complete trials than the GP needs, and a failed one
        var history = new TrialHistory(Line).Complete(At(0.2), 0.97).Complete(At(0.6), 0.96).Add(TrialState.FAIL, At(0.4));

        // When the retrain picks its trial, Then it is the best value, as Optuna's best trial
        Assert.Equal(0, RetrainChoice.Of(Line, StudyDirection.MAXIMIZE, history.Trials, seed: 42)!.Number);
        Assert.Null(RetrainChoice.Of(Line, StudyDirection.MAXIMIZE, new TrialHistory(Line).Trials, seed: 42));
    }
}
