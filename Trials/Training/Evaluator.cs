using Mnist.Trials.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Trials.Training;

/// <summary>
/// Loss, accuracy and confusion matrix of a model over a split, in eval mode without gradients.
/// Batches are contiguous slices (<c>narrow</c>, no copy); small batches are markedly faster on CPU
/// (see bench/trials), hence the default of 64.
/// </summary>
internal static class Evaluator
{
    public const int DefaultBatchSize = 64;

    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, DataSplit split, int numClasses, int batchSize = DefaultBatchSize)
    {
        bool wasTraining = model.training;
        model.eval();
        var confusion = new long[numClasses, numClasses];
        double lossSum = 0;
        long correct = 0;
        try
        {
            using var noGrad = torch.no_grad();
            for (int start = 0; start < split.Count; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                int len = Math.Min(batchSize, split.Count - start);
                var x = split.Images.narrow(0, start, len);
                var y = split.Labels.narrow(0, start, len);
                var logits = model.forward(x);
                lossSum += F.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                var predicted = logits.argmax(1).cpu().data<long>().ToArray();
                var truth = y.cpu().data<long>().ToArray();
                for (int i = 0; i < len; i++)
                {
                    confusion[truth[i], predicted[i]]++;
                    if (truth[i] == predicted[i]) correct++;
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        int count = split.Count;
        return new EvaluationResult(count == 0 ? double.NaN : lossSum / count, count == 0 ? double.NaN : (double)correct / count, confusion, count);
    }
}
