using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;

namespace Mnist.Search.Tests.Support.Trials;

/// <summary>A real, untrained MNIST checkpoint (model.bin + model.json) for tests that need one quickly.</summary>
internal static class UntrainedCheckpoint
{
    /// <summary>Writes one of a small CNN with <paramref name="fcWidth"/> into <paramref name="folder"/>; returns the folder.</summary>
    public static string Write(string folder, int fcWidth = 16)
    {
        using var network = new CnnModel(new Hyperparameters { Conv1Channels = 4, Conv2Channels = 8, FcWidth = fcWidth });
        CheckpointIO.Save(folder, network, new ModelSidecar
        {
            Architecture = network.Hyperparameters,
            InputShape = [1, 28, 28],
            Normalization = new NormalizationInfo(DatasetInfo.Mnist.Mean, DatasetInfo.Mnist.Std),
            ClassNames = DatasetInfo.Mnist.ClassNames,
            Dataset = "mnist",
        });
        return folder;
    }
}
