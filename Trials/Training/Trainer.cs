using Mnist.Trials.Data;
using Mnist.Trials.Protocol;
using Mnist.Trials.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Trials.Training;

/// <summary>
/// Trains a model on one split, an epoch at a time: per-epoch shuffle and augmentation from a seeded
/// generator, learning rate from <see cref="LearningRateSchedule"/>, every step inside its own dispose
/// scope so native memory stays flat across epochs. The caller owns the model and the data.
/// </summary>
/// <remarks>
/// On CUDA the step loop never waits on the host (issue 13): the data is already on the device, shuffles and
/// augmentation draw from a generator on the device, and the loss is summed on the device and read once per
/// epoch, so a NaN or infinite loss is reported at the end of the epoch it appeared in rather than at its step.
/// On the CPU, where reading a scalar costs nothing, the loss is read at every step as before (same figures,
/// divergence caught at its step); <c>readLossEveryStep: false</c> runs the device path on the CPU for tests.
/// </remarks>
internal sealed class Trainer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly DataSplit train;
    private readonly int batchSize;
    private readonly GcSafeOptimizer optimizer;
    private LearningRateSchedule schedule;
    private readonly Augmenter? augmenter;
    private readonly Generator generator;
    private readonly Device device;
    private readonly bool readLossEveryStep;

    public Trainer(nn.Module<Tensor, Tensor> model, DataSplit train, Hyperparameters hp, int epochs, int seed, double background,
        bool? readLossEveryStep = null)
    {
        // Every trainer trains on the kernels the worker measured (oneDNN off: wrong gradients for most channel counts, see OneDnnCheck),
        // not only the worker's: a test fixture that trained in-process before anything had set them failed CI with
        // "loss is NaN at epoch 1" (2026-12-04). Setting libtorch's switches again is idempotent and costs microseconds.
        Native.LibTorchFlags.ConfigureCpuKernels();
        this.model = model;
        this.train = train;
        device = train.Images.device;
        this.readLossEveryStep = readLossEveryStep ?? device.type == DeviceType.CPU;
        batchSize = Math.Min(hp.BatchSize, train.Count);
        StepsPerEpoch = (train.Count + batchSize - 1) / batchSize;
        schedule = LearningRateSchedule.From(hp, epochs, StepsPerEpoch);
        optimizer = hp.Optimizer switch
        {
            "sgd" => GcSafeOptimizer.Sgd(model.parameters(), hp.LearningRate, momentum: hp.Momentum, weightDecay: hp.WeightDecay),
            _ => GcSafeOptimizer.Adam(model.parameters(), hp.LearningRate, weightDecay: hp.WeightDecay),
        };
        // A generator of its own keeps shuffles and augmentation reproducible whatever else draws random
        // numbers; it lives on the data's device, so drawing needs no host round trip on a GPU (on the CPU
        // it is the same CPU generator as before, so CPU runs reproduce earlier results).
        generator = device.type == DeviceType.CPU ? new Generator((ulong)(uint)seed) : new Generator((ulong)(uint)seed, device);
        augmenter = Augmenter.From(hp, background, generator);
    }

    public int StepsPerEpoch { get; }

    /// <summary>
    /// Plans <paramref name="epochs"/> epochs from now on (fewer, to fit a time budget): the schedule anneals over the
    /// new total, so the last epoch still ends at the schedule's end rather than halfway down a cosine.
    /// </summary>
    public void Replan(int epochs) => schedule = schedule with { Epochs = epochs };

    /// <summary>Learning rate used by the last step.</summary>
    public double CurrentLearningRate { get; private set; }

    /// <summary>
    /// Runs one epoch (1-based <paramref name="epoch"/>). Checks <paramref name="stopRequested"/> after
    /// every batch and returns early (with <see cref="EpochTraining.Stopped"/> set) when it says so.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite (on the device path: during this epoch).</exception>
    public EpochTraining TrainEpoch(int epoch, Func<bool> stopRequested)
    {
        model.train();
        using var order = torch.randperm(train.Count, generator: generator, device: device);
        // The running sum of loss x batch size: on the host when read every step, else a float64 scalar on
        // the device (the same double arithmetic, so both paths give the same mean).
        double lossSum = 0;
        using var deviceLossSum = readLossEveryStep ? null : torch.zeros(1, dtype: ScalarType.Float64, device: device);
        long seen = 0;
        for (int step = 0; step < StepsPerEpoch; step++)
        {
            using (var scope = torch.NewDisposeScope())
            {
                int start = step * batchSize;
                int len = Math.Min(batchSize, train.Count - start);
                var idx = order.narrow(0, start, len);
                var x = train.Images.index_select(0, idx);
                var y = train.Labels.index_select(0, idx);
                if (augmenter is not null) x = augmenter.Apply(x);

                CurrentLearningRate = schedule.RateAt(epoch, step);
                optimizer.LearningRate = CurrentLearningRate;

                optimizer.ZeroGrad();
                var loss = F.cross_entropy(model.forward(x), y);
                if (deviceLossSum is null)
                {
                    float value = loss.item<float>();
                    ThrowIfDiverged(value, epoch);
                    lossSum += (double)value * len;
                }
                else
                {
                    using var batch = len.ToScalar(); // held until the call returns (see HeldScalars)
                    deviceLossSum.add_(loss.detach().to_type(ScalarType.Float64).mul_(batch), alpha: HeldScalars.One);
                }
                loss.backward();
                optimizer.Step();
                seen += len;
            }
            if (stopRequested())
                return new EpochTraining(seen == 0 ? double.NaN : ReadSum(deviceLossSum, lossSum, epoch) / seen, seen, Stopped: true);
        }
        var finished = new EpochTraining(ReadSum(deviceLossSum, lossSum, epoch) / seen, seen, Stopped: false);
        // Every finished epoch leaves the statistics a model is evaluated, checkpointed and exported with re-estimated
        // on clean images (see BatchNormCalibration: it halves a trial's seed noise); a stopped epoch is not evaluated.
        BatchNormCalibration.Recalibrate(model, train);
        return finished;
    }

    /// <summary>The epoch's loss sum: the host's, or the device's read back once (the only host sync of the epoch).</summary>
    private static double ReadSum(Tensor? deviceLossSum, double hostSum, int epoch)
    {
        if (deviceLossSum is null) return hostSum;
        double sum = deviceLossSum.item<double>();
        ThrowIfDiverged(sum, epoch);
        return sum;
    }

    private static void ThrowIfDiverged(double value, int epoch)
    {
        if (!double.IsFinite(value))
            throw new TrainingDivergedException($"loss is {(double.IsNaN(value) ? "NaN" : "infinite")} at epoch {epoch}");
    }

    public void Dispose()
    {
        optimizer.Dispose();
        generator.Dispose();
    }
}
