using Mnist.Search.Tests.Support.Faults;
using Mnist.Trials.Data;
using Mnist.Trials.Model;
using Mnist.Trials.Protocol;

namespace Mnist.Search.Tests.Trials.Model;

public sealed class CheckpointFullDiskTests
{
    [Fact]
    public void WhenTheDiskFillsDuringASaveThenNoTemporaryFileIsLeftAndThePreviousCheckpointStands()
    {
        // Given a 256 KB disk holding a small checkpoint, and a model too large for what is left
        using var disk = SmallDisk.Create(256 * 1024);
        using (var small = new CnnModel(new Hyperparameters { ConvLayers = 1, Conv1Channels = 2, FcWidth = 4 }))
            CheckpointIO.Save(disk.Path, small, Sidecar(small.Hyperparameters));
        var before = File.ReadAllBytes(disk["model.bin"]);
        if (!disk.IsMounted) SmallDisk.FailWritesTo(disk["model.bin.tmp"]);
        using var large = new CnnModel(new Hyperparameters());

        // When it is saved there
        Assert.ThrowsAny<IOException>(() => CheckpointIO.Save(disk.Path, large, Sidecar(large.Hyperparameters)));

        // Then no model.bin.tmp or model.json.tmp is left, and the previous checkpoint is intact
        Assert.Empty(Directory.GetFiles(disk.Path, "*.tmp"));
        Assert.Equal(before, File.ReadAllBytes(disk["model.bin"]));
    }

    private static ModelSidecar Sidecar(Hyperparameters hp) => new()
    {
        Architecture = hp,
        InputShape = [1, 28, 28],
        Normalization = new NormalizationInfo(DatasetInfo.Mnist.Mean, DatasetInfo.Mnist.Std),
        ClassNames = DatasetInfo.Mnist.ClassNames,
        Dataset = "mnist",
    };
}
