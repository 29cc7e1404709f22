using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Search.Tests.Trials.Model;

/// <summary>
/// The worker's BatchNorm replaces TorchSharp's (whose forward leaves temporary Scalars to the finalizer) without
/// changing a bit of what it computes, so every result measured before the change stands.
/// </summary>
[Collection(TorchRandomCollection.Name)] // runs alone: TorchSharp's own BatchNorm2d is the hazard being compared against
public sealed class GcSafeBatchNorm2dTests
{
    [Fact]
    public void OutputsAndRunningStatisticsEqualTorchSharpsBatchNorm2dToTheLastBit()
    {
        // Given TorchSharp's BatchNorm2d and ours with the same (non-default) weights
        manual_seed(3);
        using var theirs = nn.BatchNorm2d(6);
        using var ours = new GcSafeBatchNorm2d(6);
        Assert.Equal(theirs.state_dict().Keys.Order(), ours.state_dict().Keys.Order());
        using (no_grad())
        {
            theirs.weight!.uniform_(0.5, 1.5);
            theirs.bias!.uniform_(-0.5, 0.5);
            ours.weight!.copy_(theirs.weight!);
            ours.bias!.copy_(theirs.bias!);
        }

        // When both see the same batches: in training with momentum 0.1, then with none (a cumulative average), then in evaluation
        using Scalar spread = 2.5, shift = 0.75, one = 1; // held, not temporaries (see HeldScalars)
        var phases = new (bool Training, double? Momentum, int Batches)[] { (true, 0.1, 3), (true, null, 4), (false, 0.1, 2) };
        foreach (var (training, momentum, batches) in phases)
        {
            theirs.train(training);
            ours.train(training);
            theirs.momentum = ours.momentum = momentum;
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                var x = randn(8, 6, 5, 5).mul_(spread).add_(shift, one);
                string phase = $"training {training}, momentum {momentum?.ToString() ?? "none"}, batch {b + 1}";

                // Then the outputs and every buffer are equal to the last bit
                Assert.True(theirs.forward(x).eq(ours.forward(x)).all().item<bool>(), $"{phase}: outputs differ");
                foreach (var ((name, a), (_, c)) in theirs.named_buffers().Zip(ours.named_buffers()))
                    Assert.True(a.eq(c).all().item<bool>(), $"{phase}: {name} differs");
            }
        }
        Assert.Equal(7L, ours.num_batches_tracked!.item<long>());
    }

    [Fact]
    public void AnInputThatIsNotABatchOfImagesIsRefused()
    {
        using var norm = new GcSafeBatchNorm2d(3);
        using var flat = zeros(4, 3);
        var error = Assert.Throws<ArgumentException>(() => norm.forward(flat));
        Assert.Contains("expected 4D input, but got 2D", error.Message);
    }
}
