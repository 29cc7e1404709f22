using Mnist.Trials.Data;
using Mnist.Trials.Native;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Trials.Training;

/// <summary>
/// Loss, accuracy and confusion matrix of a model over a split, in eval mode without gradients.
/// Batches are contiguous slices (<c>narrow</c>, no copy); small batches are markedly faster on CPU
/// (see bench/trials), hence the default of 64, while on a GPU batches of at least
/// <see cref="DeviceBatchSize"/> keep it busy. The loss sum and the confusion counts accumulate on the
/// split's device and are read once at the end, so a GPU never waits on the host between batches.
/// </summary>
internal static class Evaluator
{
    public const int DefaultBatchSize = 64;

    /// <summary>Smallest evaluation batch on a GPU: 10,000 MNIST images in two launches, ~30 MiB of input.</summary>
    public const int DeviceBatchSize = 8192;

    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, DataSplit split, int numClasses, int batchSize = DefaultBatchSize)
    {
        var device = split.Images.device;
        if (device.type != DeviceType.CPU) batchSize = Math.Max(batchSize, DeviceBatchSize);
        bool wasTraining = model.training;
        model.eval();
        var confusion = new long[numClasses, numClasses];
        double lossSum;
        long[] counts;
        try
        {
            using var noGrad = torch.no_grad();
            // Float64 sum of float32 batch sums: the same arithmetic as adding each batch's sum on the host.
            using var loss = torch.zeros(1, dtype: ScalarType.Float64, device: device);
            // Row-major [true, predicted] counts.
            using var cells = torch.zeros(numClasses * numClasses, dtype: ScalarType.Int64, device: device);
            // Held across every native call that reads them, not inline temporaries (see HeldScalars).
            using var classes = numClasses.ToScalar();
            for (int start = 0; start < split.Count; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                int len = Math.Min(batchSize, split.Count - start);
                var x = split.Images.narrow(0, start, len);
                var y = split.Labels.narrow(0, start, len);
                var logits = model.forward(x);
                loss.add_(F.cross_entropy(logits, y, reduction: nn.Reduction.Sum).to_type(ScalarType.Float64), alpha: HeldScalars.One);
                // index_add_, not bincount: CUDA's bincount reads the input's maximum back to the host.
                var cell = y.mul(classes).add(logits.argmax(1), alpha: HeldScalars.One);
                cells.index_add_(0, cell, torch.ones_like(cell), HeldScalars.One);
            }
            lossSum = loss.item<double>();
            using var onHost = cells.cpu();
            counts = onHost.data<long>().ToArray();
        }
        finally
        {
            model.train(wasTraining);
        }
        long correct = 0;
        for (int t = 0; t < numClasses; t++)
        {
            for (int p = 0; p < numClasses; p++) confusion[t, p] = counts[t * numClasses + p];
            correct += confusion[t, t];
        }
        int count = split.Count;
        return new EvaluationResult(count == 0 ? double.NaN : lossSum / count, count == 0 ? double.NaN : (double)correct / count, confusion, count);
    }
}
