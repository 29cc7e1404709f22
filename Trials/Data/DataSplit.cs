using TorchSharp;
using static TorchSharp.torch;

namespace Mnist.Trials.Data;

/// <summary>
/// A whole split held as two tensors: normalised images <c>[N,1,28,28]</c> (float32) and labels
/// <c>[N]</c> (int64). Batches are cut from these with <c>index_select</c>; there is no per-image tensor.
/// </summary>
internal sealed class DataSplit : IDisposable
{
    public DataSplit(Tensor images, Tensor labels)
    {
        if (images.shape[0] != labels.shape[0])
            throw new ArgumentException($"images ({images.shape[0]}) and labels ({labels.shape[0]}) differ in count");
        Images = images;
        Labels = labels;
    }

    public Tensor Images { get; }
    public Tensor Labels { get; }
    public int Count => (int)Images.shape[0];

    /// <summary>A new split with the rows at <paramref name="indices"/> (copied; this split stays valid).</summary>
    public DataSplit Select(Tensor indices)
    {
        using var scope = torch.NewDisposeScope();
        var images = Images.index_select(0, indices).MoveToOuterDisposeScope();
        var labels = Labels.index_select(0, indices).MoveToOuterDisposeScope();
        return new DataSplit(images, labels);
    }

    /// <summary>Moves both tensors to <paramref name="device"/>; returns this split when already there.</summary>
    public DataSplit To(Device device)
    {
        if (Images.device == device) return this;
        return new DataSplit(Images.to(device), Labels.to(device));
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
