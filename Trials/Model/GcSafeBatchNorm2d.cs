using Mnist.Trials.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Trials.Model;

/// <summary>
/// TorchSharp 0.107's <see cref="BatchNorm2d"/> (the same parameters and buffers under the same names, the same outputs
/// and running statistics bit for bit: a test checks) without the temporary Scalars its forward leaves to the
/// finalizer: <c>num_batches_tracked.add_(1)</c> makes two, and with <c>momentum</c> null (a cumulative average, as
/// <see cref="Training.BatchNormCalibration"/> sets) <c>1.0 / (double)num_batches_tracked</c> reads the count through
/// one; see <see cref="HeldScalars"/> for why that crashes a process now and then.
/// </summary>
internal sealed class GcSafeBatchNorm2d(long features)
    : BatchNorm(features, eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true, device: null, dtype: null, name: nameof(BatchNorm2d))
{
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim != 4) throw new ArgumentException($"expected 4D input, but got {input.ndim}D input.");
    }

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        double factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is { } count)
        {
            count.add_(HeldScalars.One, HeldScalars.One);
            if (momentum is null)
            {
                using var onHost = count.cpu(); // read as data, not through a Scalar; cpu() also serves a CUDA count
                factor = 1.0 / onHost.item<long>();
            }
        }
        bool batchStatistics = training || (running_mean is null && running_var is null);
        bool passStatistics = !training || track_running_stats;
        return F.batch_norm(input, passStatistics ? running_mean : null, passStatistics ? running_var : null, weight, bias,
            batchStatistics, factor, eps);
    }
}
