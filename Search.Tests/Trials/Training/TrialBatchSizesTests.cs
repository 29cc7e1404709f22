using Mnist.Trials.Training;

namespace Mnist.Search.Tests.Trials.Training;

/// <summary>The batch sizes a trial's oneDNN check covers: every size the trial runs its network at.</summary>
public sealed class TrialBatchSizesTests
{
    [Fact]
    public void EachCountGivesItsFullBatchAndItsLastPartialOne()
    {
        // Training 10,000 images in batches of 128, BatchNorm re-estimation on 4,096 in batches of 256
        Assert.Equal([128, 16, 256], TrialRunner.BatchSizes(128, 10_000, 256, 4_096));
    }

    [Fact]
    public void ACountBelowTheBatchRunsAsOneBatchAndAnEmptyOneNotAtAll()
    {
        // A validation split of 40 images at eval_batch_size 64; no test set
        Assert.Equal([40], TrialRunner.BatchSizes(64, 40, 64, 0));
    }
}
