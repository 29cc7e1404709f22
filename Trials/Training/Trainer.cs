using Mnist.Trials.Data;
using Mnist.Trials.Protocol;
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
internal sealed class Trainer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly DataSplit train;
    private readonly int batchSize;
    private readonly OptimizerHelper optimizer;
    private readonly LearningRateSchedule schedule;
    private readonly Augmenter? augmenter;
    private readonly Generator generator;

    public Trainer(nn.Module<Tensor, Tensor> model, DataSplit train, Hyperparameters hp, int epochs, int seed, double background)
    {
        this.model = model;
        this.train = train;
        batchSize = Math.Min(hp.BatchSize, train.Count);
        StepsPerEpoch = (train.Count + batchSize - 1) / batchSize;
        schedule = LearningRateSchedule.From(hp, epochs, StepsPerEpoch);
        optimizer = hp.Optimizer switch
        {
            "sgd" => torch.optim.SGD(model.parameters(), hp.LearningRate, momentum: hp.Momentum, weight_decay: hp.WeightDecay),
            _ => torch.optim.Adam(model.parameters(), hp.LearningRate, weight_decay: hp.WeightDecay),
        };
        // A generator of its own (CPU) keeps shuffles and augmentation reproducible whatever else draws random numbers.
        generator = new Generator((ulong)(uint)seed);
        augmenter = Augmenter.From(hp, background, generator);
    }

    public int StepsPerEpoch { get; }

    /// <summary>Learning rate used by the last step.</summary>
    public double CurrentLearningRate { get; private set; }

    /// <summary>
    /// Runs one epoch (1-based <paramref name="epoch"/>). Checks <paramref name="stopRequested"/> after
    /// every batch and returns early (with <see cref="EpochTraining.Stopped"/> set) when it says so.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public EpochTraining TrainEpoch(int epoch, Func<bool> stopRequested)
    {
        model.train();
        using var order = torch.randperm(train.Count, generator: generator).to(train.Images.device);
        double lossSum = 0;
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
                foreach (var group in optimizer.ParamGroups) group.LearningRate = CurrentLearningRate;

                optimizer.zero_grad();
                var loss = F.cross_entropy(model.forward(x), y);
                float value = loss.item<float>();
                if (!float.IsFinite(value))
                    throw new TrainingDivergedException($"loss is {(float.IsNaN(value) ? "NaN" : "infinite")} at epoch {epoch}");
                loss.backward();
                optimizer.step();
                lossSum += (double)value * len;
                seen += len;
            }
            if (stopRequested())
                return new EpochTraining(seen == 0 ? double.NaN : lossSum / seen, seen, Stopped: true);
        }
        return new EpochTraining(lossSum / seen, seen, Stopped: false);
    }

    public void Dispose()
    {
        optimizer.Dispose();
        generator.Dispose();
    }
}
