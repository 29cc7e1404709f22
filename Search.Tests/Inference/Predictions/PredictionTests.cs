using System.Text.Json;
using Mnist.Inference.Predictions;

namespace Mnist.Search.Tests.Inference.Predictions;

public sealed class PredictionTests
{
    [Fact]
    public void WhenLogitsAreLogsOfOneTwoThreeThenSoftmaxGivesOneTwoThreeSixths()
    {
        // When
        var p = PredictionMath.Softmax([0f, MathF.Log(2), MathF.Log(3)]);

        // Then
        Assert.Equal(1.0 / 6, p[0], 6);
        Assert.Equal(2.0 / 6, p[1], 6);
        Assert.Equal(3.0 / 6, p[2], 6);
    }

    [Fact]
    public void WhenLogitsAreHugeThenSoftmaxDoesNotOverflow()
    {
        // When
        var p = PredictionMath.Softmax([1000f, 0f, 999f]);

        // Then
        Assert.All(p, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(1 / (1 + Math.Exp(-1)), p[0], 12);
        Assert.Equal(1.0, p.Sum(), 12);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void WhenALogitIsNotFiniteThenSoftmaxNamesIt(float bad)
    {
        var error = Assert.Throws<ArgumentException>(() => PredictionMath.Softmax([0f, bad]));
        Assert.Contains("logit 1", error.Message);
    }

    [Fact]
    public void WhenThereAreNoLogitsThenSoftmaxThrows()
    {
        Assert.Throws<ArgumentException>(() => PredictionMath.Softmax([]));
    }

    [Fact]
    public void WhenRankingThenTheTopThreeComeMostLikelyFirstAndTiesKeepDigitOrder()
    {
        // When
        var top = PredictionMath.TopK([0.1, 0.3, 0.05, 0.3, 0.25], 3);

        // Then
        Assert.Equal([1, 3, 4], top.Select(t => t.Digit));
        Assert.Equal([0.3, 0.3, 0.25], top.Select(t => t.Probability));
    }

    [Fact]
    public void WhenKExceedsTheClassCountThenEveryClassIsReturned()
    {
        Assert.Equal(2, PredictionMath.TopK([0.4, 0.6], 3).Count);
    }

    [Fact]
    public void WhenBuiltFromLogitsThenTheDigitIsTheArgMaxWithItsProbability()
    {
        // Given
        float[] logits = [0.1f, -2f, 0.5f, 3f, 0f, 0f, 1f, -1f, 2.5f, 0f];

        // When
        var prediction = Prediction.FromLogits(logits);

        // Then
        var p = PredictionMath.Softmax(logits);
        Assert.Equal(3, prediction.Digit);
        Assert.Equal(p[3], prediction.Probability);
        Assert.Equal([3, 8, 6], prediction.Top.Select(t => t.Digit));
        Assert.Equal(p[8], prediction.Top[1].Probability);
    }

    [Fact]
    public void WhenSerializedThenKeysAreSnakeCase()
    {
        // When
        var json = JsonSerializer.Serialize(Prediction.FromLogits([0f, 1f], topK: 2));
        using var document = JsonDocument.Parse(json);

        // Then
        Assert.Equal(["digit", "probability", "top"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, document.RootElement.GetProperty("top")[0].GetProperty("digit").GetInt32());
        Assert.Equal(0, document.RootElement.GetProperty("top")[1].GetProperty("digit").GetInt32());
    }
}
