using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Search.Tests.Trials.Training;

[Collection(TorchRandomCollection.Name)]
public sealed class BatchNormCalibrationTests
{
    private static readonly Hyperparameters Small = new()
    {
        Conv1Channels = 8, Conv2Channels = 16, FcWidth = 32, BatchSize = 32, LearningRate = 0.003, BatchNorm = true,
        RotationDegrees = 15, TranslateFraction = 0.1,
    };

    /// <summary>The first conv layer's output over <paramref name="images"/>: per channel mean and unbiased variance.</summary>
    private static (float[] Mean, float[] Var) FirstLayerStatistics(CnnModel model, Tensor images)
    {
        using var noGrad = torch.no_grad();
        using var output = model.ConvBlocks[0].Conv.forward(images);
        using var mean = output.mean([0L, 2L, 3L]);
        using var variance = output.var([0L, 2L, 3L], unbiased: true);
        return (mean.data<float>().ToArray(), variance.data<float>().ToArray());
    }

    private static (float[] Mean, float[] Var) FirstLayerRunning(CnnModel model) =>
        (model.ConvBlocks[0].Norm!.running_mean!.data<float>().ToArray(), model.ConvBlocks[0].Norm!.running_var!.data<float>().ToArray());

    [Fact]
    public void TheRunningStatisticsBecomeThoseOfTheCleanImagesWhateverTheyWereBefore()
    {
        // Given a model whose running statistics are far from its layers' (one batch's worth of images: 200 < 256)
        using var train = SyntheticDigits.Split(200, seed: 1);
        torch.manual_seed(2);
        using var model = new CnnModel(Small);
        var norm = model.ConvBlocks[0].Norm!;
        using (torch.no_grad())
        {
            using Scalar far = 5.0, narrow = 0.01; // held, not temporaries (see HeldScalars)
            norm.running_mean!.fill_(far);
            norm.running_var!.fill_(narrow);
        }
        model.eval();

        // When
        BatchNormCalibration.Recalibrate(model, train);

        // Then the first layer's running statistics are its output's over the training images, not augmented
        var expected = FirstLayerStatistics(model, train.Images);
        var actual = FirstLayerRunning(model);
        Assert.Equal(expected.Mean, actual.Mean, (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.Equal(expected.Var, actual.Var, (a, b) => Math.Abs(a - b) < 1e-3 * Math.Max(1, Math.Abs(a)));
        // and the model is as it was: in eval mode, each layer with PyTorch's momentum
        Assert.False(model.training);
        Assert.All(model.ConvBlocks, b => Assert.Equal(0.1, b.Norm!.momentum));
    }

    [Fact]
    public void AFinishedEpochLeavesCalibratedStatisticsAndAStoppedOneDoesNot()
    {
        // Given augmented training (rotated, shifted batches), which a momentum average would have remembered
        using var train = SyntheticDigits.Split(200, seed: 3);
        torch.set_num_threads(1);
        torch.manual_seed(4);
        using var model = new CnnModel(Small);
        using var trainer = new Trainer(model, train, Small, epochs: 2, seed: 4, background: -0.4242);

        // When one epoch finishes
        trainer.TrainEpoch(1, () => false);

        // Then the statistics are the clean images' under the weights the epoch ended with
        var expected = FirstLayerStatistics(model, train.Images);
        var calibrated = FirstLayerRunning(model);
        Assert.Equal(expected.Mean, calibrated.Mean, (a, b) => Math.Abs(a - b) < 1e-4);

        // When the next epoch is stopped after its first batch
        trainer.TrainEpoch(2, () => true);

        // Then the running statistics moved with that batch and were not re-estimated (the epoch is not evaluated)
        var stopped = FirstLayerRunning(model);
        var now = FirstLayerStatistics(model, train.Images);
        Assert.NotEqual(calibrated.Mean, stopped.Mean);
        Assert.NotEqual(now.Mean, stopped.Mean, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Theory]
    [InlineData(200, 200)]
    [InlineData(4096, 4096)]
    [InlineData(10000, 4096)]
    [InlineData(60000, 4096)]
    public void TheImagesAreSpreadOverTheWholeSplit(int count, int expected)
    {
        // When
        using var picks = BatchNormCalibration.Picks(count);
        var indices = picks.data<long>().ToArray();

        // Then: as many as expected, distinct, in order, from the first image to within one stride of the last (so a
        // split stored class by class is sampled in every class, each about equally)
        Assert.Equal(expected, indices.Length);
        Assert.Equal(0, indices[0]);
        Assert.True(indices.Zip(indices.Skip(1)).All(p => p.Second > p.First), "indices are strictly increasing");
        Assert.InRange(indices[^1], count - (count + expected - 1) / expected, count - 1);
        var perTenth = indices.GroupBy(i => i * 10 / count).Select(g => g.Count()).ToList();
        Assert.Equal(10, perTenth.Count);
        Assert.InRange(perTenth.Max() - perTenth.Min(), 0, 1);
    }

    [Fact]
    public void AModelWithoutBatchNormIsLeftAsItIs()
    {
        // Given
        using var train = SyntheticDigits.Split(64, seed: 5);
        torch.manual_seed(6);
        using var model = new CnnModel(Small with { BatchNorm = false });
        var before = model.parameters().Select(p => p.data<float>().ToArray()).ToList();

        // When
        BatchNormCalibration.Recalibrate(model, train);

        // Then
        Assert.Equal(before, model.parameters().Select(p => p.data<float>().ToArray()).ToList());
        Assert.True(model.training);
    }
}
