using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Training;

[Collection(TorchRandomCollection.Name)]
public sealed class TrainerTests
{
    private static readonly Hyperparameters Small = new()
    {
        Conv1Channels = 8, Conv2Channels = 16, FcWidth = 32, BatchSize = 32, LearningRate = 0.003,
    };

    private static List<double> TrainLosses(Hyperparameters hp, DataSplit train, int epochs, int seed)
    {
        torch.set_num_threads(1);
        torch.manual_seed(seed);
        using var model = new CnnModel(hp);
        using var trainer = new Trainer(model, train, hp, epochs, seed, background: -0.4242);
        return Enumerable.Range(1, epochs).Select(e => trainer.TrainEpoch(e, () => false).TrainLoss).ToList();
    }

    [Fact]
    public void WhenTrainedOnSyntheticDigitsThenHeldOutAccuracyIsFarAboveChance()
    {
        // Given 300 training and 200 held-out images of 10 classes
        using var train = SyntheticDigits.Split(300, seed: 1);
        using var heldOut = SyntheticDigits.Split(200, seed: 2);
        torch.set_num_threads(1);
        torch.manual_seed(3);
        using var model = new CnnModel(Small);
        using var trainer = new Trainer(model, train, Small, epochs: 3, seed: 3, background: -0.4242);

        // When
        var losses = Enumerable.Range(1, 3).Select(e => trainer.TrainEpoch(e, () => false)).ToList();
        var eval = Evaluator.Evaluate(model, heldOut, 10);

        // Then (chance is 0.1)
        Assert.True(eval.Accuracy > 0.9, $"accuracy {eval.Accuracy}, losses {string.Join(", ", losses.Select(l => l.TrainLoss))}");
        Assert.True(losses[^1].TrainLoss < losses[0].TrainLoss);
        Assert.All(losses, l => Assert.Equal(300, l.Images));
        Assert.Equal(200, eval.ConfusionRows().Sum(r => r.Sum()));
        Assert.Equal(eval.Accuracy, Enumerable.Range(0, 10).Sum(i => eval.ConfusionMatrix[i, i]) / 200.0, 9);
    }

    [Fact]
    public void WhenTrainedTwiceWithTheSameSeedThenTheLossSequencesAreIdentical()
    {
        // Given augmentation, dropout and SGD, all of which draw random numbers
        var hp = Small with { Optimizer = "sgd", LearningRate = 0.05, Dropout = 0.3, RotationDegrees = 10, TranslateFraction = 0.1 };
        using var train = SyntheticDigits.Split(160, seed: 4);

        // When
        var first = TrainLosses(hp, train, epochs: 2, seed: 9);
        var second = TrainLosses(hp, train, epochs: 2, seed: 9);
        var otherSeed = TrainLosses(hp, train, epochs: 2, seed: 10);

        // Then
        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void WhenStopIsRequestedThenTheEpochEndsAfterTheCurrentBatch()
    {
        // Given
        using var train = SyntheticDigits.Split(200, seed: 5);
        using var model = new CnnModel(Small);
        using var trainer = new Trainer(model, train, Small, epochs: 1, seed: 1, background: -0.4242);
        int batches = 0;

        // When stop is requested after the second batch
        var result = trainer.TrainEpoch(1, () => ++batches >= 2);

        // Then
        Assert.True(result.Stopped);
        Assert.Equal(64, result.Images);
    }

    [Fact]
    public void WhenTheLearningRateExplodesThenTrainingFailsWithTheEpochInTheMessage()
    {
        // Given plain SGD with a huge rate and no BatchNorm to tame it
        var hp = Small with { BatchNorm = false, Optimizer = "sgd", LearningRate = 1e6, Momentum = 0.9 };
        using var train = SyntheticDigits.Split(320, seed: 6);
        torch.manual_seed(1);
        using var model = new CnnModel(hp);
        using var trainer = new Trainer(model, train, hp, epochs: 5, seed: 1, background: -0.4242);

        // When
        var ex = Assert.Throws<TrainingDivergedException>(() =>
        {
            for (int e = 1; e <= 5; e++) trainer.TrainEpoch(e, () => false);
        });

        // Then
        Assert.Matches(@"^loss is (NaN|infinite) at epoch \d$", ex.Message);
    }
}
