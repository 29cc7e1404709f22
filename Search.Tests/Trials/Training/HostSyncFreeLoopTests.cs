using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Search.Tests.Trials.Training;

/// <summary>
/// The step loop that never waits on the host (issue 13) runs on the CPU here: summing the loss on the
/// device and reading it once per epoch must give exactly the figures of reading it every step, and the
/// device-side evaluation exactly those of the per-batch host loop it replaced.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public sealed class HostSyncFreeLoopTests
{
    private static readonly Hyperparameters Small = new()
    {
        Conv1Channels = 8, Conv2Channels = 16, FcWidth = 32, BatchSize = 32, LearningRate = 0.003,
    };

    private static (List<double> Losses, EvaluationResult Eval) Train(Hyperparameters hp, DataSplit train, DataSplit val, int epochs, bool readEveryStep)
    {
        torch.set_num_threads(1);
        torch.manual_seed(7);
        using var model = new CnnModel(hp);
        using var trainer = new Trainer(model, train, hp, epochs, seed: 7, background: -0.4242, readLossEveryStep: readEveryStep);
        var losses = Enumerable.Range(1, epochs).Select(e => trainer.TrainEpoch(e, () => false).TrainLoss).ToList();
        return (losses, Evaluator.Evaluate(model, val, 10));
    }

    [Fact]
    public void WhenTheLossIsReadOncePerEpochThenEveryFigureEqualsReadingItEveryStep()
    {
        // Given augmentation, dropout and a partial last batch (170 = 5 x 32 + 10)
        var hp = Small with { Dropout = 0.3, RotationDegrees = 10, TranslateFraction = 0.1, ScaleFraction = 0.1 };
        using var train = SyntheticDigits.Split(170, seed: 11);
        using var val = SyntheticDigits.Split(90, seed: 12);

        // When the same seed trains once per path
        var everyStep = Train(hp, train, val, epochs: 2, readEveryStep: true);
        var perEpoch = Train(hp, train, val, epochs: 2, readEveryStep: false);

        // Then the losses and the evaluation are bit for bit the same
        Assert.Equal(everyStep.Losses, perEpoch.Losses);
        Assert.Equal(everyStep.Eval.Loss, perEpoch.Eval.Loss);
        Assert.Equal(everyStep.Eval.ConfusionRows(), perEpoch.Eval.ConfusionRows());
    }

    [Fact]
    public void WhenTheLossIsReadOncePerEpochThenDivergenceIsReportedInTheSameEpochWithTheSameMessage()
    {
        // Given a rate that makes plain SGD diverge
        var hp = Small with { BatchNorm = false, Optimizer = "sgd", LearningRate = 1e6, Momentum = 0.9 };
        using var train = SyntheticDigits.Split(320, seed: 6);
        using var val = SyntheticDigits.Split(20, seed: 2);

        // When each path trains until it fails
        var everyStep = Assert.Throws<TrainingDivergedException>(() => Train(hp, train, val, epochs: 5, readEveryStep: true));
        var perEpoch = Assert.Throws<TrainingDivergedException>(() => Train(hp, train, val, epochs: 5, readEveryStep: false));

        // Then the once-per-epoch read names the same epoch: at most one epoch late, reported alike
        Assert.Matches(@"^loss is (NaN|infinite) at epoch \d$", perEpoch.Message);
        Assert.Equal(EpochOf(everyStep.Message), EpochOf(perEpoch.Message));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(7)]
    [InlineData(1000)]
    public void WhenEvaluatedOnTheDeviceThenLossAccuracyAndConfusionEqualAPerBatchHostLoop(int batchSize)
    {
        // Given a briefly trained model and 150 held-out images
        using var train = SyntheticDigits.Split(96, seed: 3);
        using var val = SyntheticDigits.Split(150, seed: 4);
        torch.set_num_threads(1);
        torch.manual_seed(5);
        using var model = new CnnModel(Small);
        using (var trainer = new Trainer(model, train, Small, 1, 5, -0.4242)) trainer.TrainEpoch(1, () => false);

        // When it is evaluated, and the same is computed batch by batch on the host
        var eval = Evaluator.Evaluate(model, val, 10, batchSize);
        var (loss, confusion) = HostReference(model, val, batchSize);

        // Then the figures are identical
        Assert.Equal(loss / val.Count, eval.Loss);
        Assert.Equal(confusion, eval.ConfusionMatrix);
        Assert.Equal(Enumerable.Range(0, 10).Sum(i => confusion[i, i]) / 150.0, eval.Accuracy);
        Assert.True(model.training, "evaluation must restore training mode");
    }

    /// <summary>The evaluation loop as it was before issue 13: one host read per batch.</summary>
    private static (double Loss, long[,] Confusion) HostReference(CnnModel model, DataSplit split, int batchSize)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        var confusion = new long[10, 10];
        double loss = 0;
        for (int start = 0; start < split.Count; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int len = Math.Min(batchSize, split.Count - start);
            var logits = model.forward(split.Images.narrow(0, start, len));
            var y = split.Labels.narrow(0, start, len);
            loss += F.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
            var predicted = logits.argmax(1).data<long>().ToArray();
            var truth = y.data<long>().ToArray();
            for (int i = 0; i < len; i++) confusion[truth[i], predicted[i]]++;
        }
        model.train();
        return (loss, confusion);
    }

    private static string EpochOf(string message) => message[(message.LastIndexOf(' ') + 1)..];
}
