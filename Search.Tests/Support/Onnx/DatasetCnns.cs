using Mnist.Inference.Onnx;
using Mnist.Search.Tests.Support.Cli;
using Mnist.Trials.Data;

namespace Mnist.Search.Tests.Support.Onnx;

/// <summary>
/// One tiny CNN per dataset (MNIST from the repository's data/mnist; Fashion-MNIST fetched by the real
/// <c>data fetch fashion-mnist</c> into a temporary folder), each trained for one real epoch on 8,192 training images and
/// saved as a checkpoint folder with its ONNX export beside it, as <see cref="TrainedCnns"/> does for MNIST.
/// </summary>
public sealed class DatasetCnns : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("dataset-cnns");

    /// <summary>The folder holding Fashion-MNIST's four IDX files.</summary>
    public string FashionData => _dir["fashion-mnist"];

    internal string Folder(DatasetInfo dataset) => _dir[$"model-{dataset.Name}"];

    public async Task InitializeAsync()
    {
        var fetch = await SearchCli.RunAsync(_dir.Path, "data", "fetch", "fashion-mnist", "--dir", FashionData);
        Assert.True(fetch.ExitCode == 0, $"data fetch fashion-mnist failed: {fetch.Stderr}");
        foreach (var (dataset, data) in new[] { (DatasetInfo.Mnist, MnistFiles.Directory), (DatasetInfo.FashionMnist, FashionData) })
            TrainedCnns.Train(TrainedCnns.Architectures["2conv-k5-bn-fc2"], Folder(dataset), dataset, data);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    internal string OnnxPath(DatasetInfo dataset) => Path.Combine(Folder(dataset), OnnxSchema.FileName);
}
