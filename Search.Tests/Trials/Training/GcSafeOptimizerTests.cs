using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Mnist.Search.Tests.Trials.Training;

/// <summary>
/// The worker's optimizer replaces TorchSharp's Adam and SGD steps (whose temporary Scalars a garbage collection
/// can free mid-call) without changing a single bit of what training computes: the same model, data and rates
/// through both give identical parameters after every step, so every result measured before the change stands.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public sealed class GcSafeOptimizerTests
{
    public static TheoryData<string, double, double> Settings => new()
    {
        { "adam", 0.003, 0.0 },
        { "adam", 0.01, 1e-4 },
        { "sgd", 0.05, 0.0 },   // with momentum 0.9, the worker's default
        { "sgd", 0.05, 5e-4 },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void EveryStepLeavesTheParametersBitForBitAsTorchSharpsOwnOptimizerDoes(string optimizer, double rate, double weightDecay)
    {
        // Given two identical models (no dropout: its masks would differ), one stepped by TorchSharp's optimizer and one by ours, on the same batches
        var hp = new Hyperparameters { Conv1Channels = 5, Conv2Channels = 7, FcWidth = 16, Dropout = 0, Optimizer = optimizer, LearningRate = rate, WeightDecay = weightDecay };
        using var data = SyntheticDigits.Split(96, seed: 5);
        Mnist.Trials.Native.LibTorchFlags.ConfigureCpuKernels(); // the worker's kernels (oneDNN gets most channel counts wrong here)
        set_num_threads(1);
        manual_seed(21);
        using var theirs = new CnnModel(hp);
        manual_seed(21);
        using var ours = new CnnModel(hp);
        using var reference = optimizer == "sgd"
            ? (TorchSharp.Modules.OptimizerHelper)optim.SGD(theirs.parameters(), rate, momentum: hp.Momentum, weight_decay: weightDecay)
            : optim.Adam(theirs.parameters(), rate, weight_decay: weightDecay);
        using var safe = optimizer == "sgd"
            ? GcSafeOptimizer.Sgd(ours.parameters(), rate, hp.Momentum, weightDecay)
            : GcSafeOptimizer.Adam(ours.parameters(), rate, weightDecay);

        // When both take 12 steps, the rate changing as a schedule changes it
        for (var step = 0; step < 12; step++)
        {
            var batchRate = rate * (1 - step / 24.0);
            foreach (var g in reference.ParamGroups) g.LearningRate = batchRate;
            safe.LearningRate = batchRate;
            using var scope = NewDisposeScope();
            var idx = arange(step % 3 * 32, step % 3 * 32 + 32);
            var x = data.Images.index_select(0, idx);
            var y = data.Labels.index_select(0, idx);
            reference.zero_grad();
            F.cross_entropy(theirs.forward(x), y).backward();
            reference.step();
            safe.ZeroGrad();
            F.cross_entropy(ours.forward(x), y).backward();
            safe.Step();

            // Then every parameter is equal to the last bit
            foreach (var ((name, a), (_, b)) in theirs.named_parameters().Zip(ours.named_parameters()))
                Assert.True(a.eq(b).all().item<bool>(), $"{optimizer}, step {step + 1}: {name} differs by up to {(a - b).abs().max().item<float>()}");
        }
    }
}
