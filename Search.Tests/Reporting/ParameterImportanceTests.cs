using Mnist.Search.Reporting;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Reporting;

public sealed class ParameterImportanceTests
{
    private static readonly FloatDistribution Lr = new(1e-5, 1e-1, Log: true);
    private static readonly FloatDistribution Dropout = new(0, 0.5);
    private static readonly CategoricalDistribution Optimizer = new(["adam", "sgd", "rmsprop"]);

    [Fact]
    public void WhenTheValueDependsOnOneNumericParameterThenItDominates()
    {
        // Given 30 trials whose value is a bump in log learning rate, with dropout and optimizer irrelevant
        var rng = new Random(1);
        var trials = Enumerable.Range(0, 30).Select(i =>
        {
            var logLr = -5 + 4 * rng.NextDouble();
            return Trial(i, Math.Pow(10, logLr), 0.5 * rng.NextDouble(), rng.Next(3), 0.99 - 0.05 * Math.Pow(logLr + 2.5, 2));
        }).ToArray();

        // When importance is computed
        var (values, missing) = ParameterImportance.Compute(trials);

        // Then the learning rate carries most of it and the figures sum to 1
        Assert.Null(missing);
        Assert.Equal("lr", values[0].Name);
        Assert.True(values[0].Importance > 0.8, string.Join(", ", values));
        Assert.Equal(1.0, values.Sum(v => v.Importance), 9);
    }

    [Fact]
    public void WhenTheValueDependsOnlyOnACategoricalThenTheCategoricalDominates()
    {
        // Given trials whose value is set by the optimizer alone
        var rng = new Random(2);
        double[] byOptimizer = [0.98, 0.90, 0.95];
        var trials = Enumerable.Range(0, 24).Select(i =>
        {
            var choice = i % 3;
            return Trial(i, Math.Pow(10, -5 + 4 * rng.NextDouble()), 0.5 * rng.NextDouble(), choice, byOptimizer[choice] + 0.001 * rng.NextDouble());
        }).ToArray();

        // When importance is computed twice
        var first = ParameterImportance.Compute(trials);
        var second = ParameterImportance.Compute(trials);

        // Then the optimizer comes first, and the result does not change between runs
        Assert.Equal("optimizer", first.Values[0].Name);
        Assert.True(first.Values[0].Importance > 0.8, string.Join(", ", first.Values));
        Assert.Equal(first.Values, second.Values);
    }

    [Fact]
    public void WhenThereAreTooFewOrIdenticalTrialsThenTheReasonIsGiven()
    {
        // Given two COMPLETE trials plus a failed one, and separately three COMPLETE trials of equal value
        TrialSnapshot[] few = [Trial(0, 1e-3, 0.1, 0, 0.9), Trial(1, 1e-2, 0.2, 1, 0.8), Trial(2, 1e-4, 0.3, 2, null, TrialState.FAIL)];
        TrialSnapshot[] flat = [Trial(0, 1e-3, 0.1, 0, 0.9), Trial(1, 1e-2, 0.2, 1, 0.9), Trial(2, 1e-4, 0.3, 2, 0.9)];

        // When importance is computed
        var fewResult = ParameterImportance.Compute(few);
        var flatResult = ParameterImportance.Compute(flat);

        // Then there are no figures, only reasons
        Assert.Empty(fewResult.Values);
        Assert.Equal("needs at least 3 COMPLETE trials, the study has 2", fewResult.Missing);
        Assert.Empty(flatResult.Values);
        Assert.Equal("every COMPLETE trial has the same value", flatResult.Missing);
    }

    [Fact]
    public void WhenSeveralTrialsShareTheSameParametersThenImportanceIsStillComputed()
    {
        // Given four repeats of one configuration with different values, plus four other configurations
        var trials = Enumerable.Range(0, 4).Select(i => Trial(i, 1e-3, 0.2, 0, 0.90 + 0.01 * i))
            .Concat(Enumerable.Range(4, 4).Select(i => Trial(i, Math.Pow(10, -5 + i * 0.5), 0.1 * (i - 3), i % 3, 0.5 + 0.05 * i)))
            .ToArray();

        // When importance is computed
        var (values, missing) = ParameterImportance.Compute(trials);

        // Then every parameter gets a finite share and the shares sum to 1
        Assert.Null(missing);
        Assert.Equal(3, values.Count);
        Assert.All(values, v => Assert.True(double.IsFinite(v.Importance) && v.Importance >= 0, v.ToString()));
        Assert.Equal(1.0, values.Sum(v => v.Importance), 9);
    }

    private static TrialSnapshot Trial(int number, double lr, double dropout, int optimizer, double? value, TrialState state = TrialState.COMPLETE) =>
        new(number + 1, number, state, value,
            new Dictionary<string, double> { ["lr"] = lr, ["dropout"] = dropout, ["optimizer"] = optimizer },
            new Dictionary<string, ParameterDistribution> { ["lr"] = Lr, ["dropout"] = Dropout, ["optimizer"] = Optimizer },
            new Dictionary<int, double>(), DateTime.UtcNow, DateTime.UtcNow, new Dictionary<string, string>(), new Dictionary<string, string>());
}
