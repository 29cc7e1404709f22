using Mnist.Trials.Model;
using Mnist.Trials.Protocol;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Model;

public sealed class CnnModelTests
{
    [Theory]
    [InlineData(1, 3, false, 1, 0.0)]
    [InlineData(2, 3, true, 2, 0.25)] // 2 conv + 2 FC
    [InlineData(3, 5, true, 1, 0.5)] // 3 conv + FC
    [InlineData(4, 3, false, 2, 0.1)]
    public void WhenBuiltFromHyperparametersThenABatchMapsToTenLogitsPerImage(int convLayers, int kernel, bool batchNorm, int fcLayers, double dropout)
    {
        // Given
        var hp = new Hyperparameters
        {
            ConvLayers = convLayers, Conv1Channels = 4, Conv2Channels = 6, Conv3Channels = 8, Conv4Channels = 8,
            KernelSize = kernel, BatchNorm = batchNorm, FcLayers = fcLayers, FcWidth = 16, Fc2Width = 12, Dropout = dropout,
        };
        using var model = new CnnModel(hp);
        using var input = torch.randn(5, 1, 28, 28);

        // When
        using var output = model.forward(input);

        // Then
        Assert.Equal(new long[] { 5, 10 }, output.shape);
        Assert.Equal(convLayers, model.named_parameters().Count(p => p.name.StartsWith("features.conv") && p.name.EndsWith(".weight")));
        Assert.Equal(fcLayers + 1, model.named_parameters().Count(p => p.name.StartsWith("classifier.") && p.name.EndsWith(".weight")));
        Assert.Equal(batchNorm, model.named_parameters().Any(p => p.name.StartsWith("features.bn")));
    }

    [Fact]
    public void WhenBatchNormIsOnThenConvLayersHaveNoBias()
    {
        // Given
        using var withBn = new CnnModel(new Hyperparameters { BatchNorm = true });
        using var withoutBn = new CnnModel(new Hyperparameters { BatchNorm = false });

        // Then
        Assert.DoesNotContain(withBn.named_parameters(), p => p.name == "features.conv1.bias");
        Assert.Contains(withoutBn.named_parameters(), p => p.name == "features.conv1.bias");
    }

    [Fact]
    public void WhenTheConvChannelsChangeThenTheFirstFcLayerInputFollows()
    {
        // Given 3 blocks of 8 channels: 28 -> 14 -> 7 -> 3, so 8*3*3 features
        using var model = new CnnModel(new Hyperparameters { ConvLayers = 3, Conv1Channels = 8, Conv2Channels = 8, Conv3Channels = 8, FcWidth = 20 });

        // When
        var fc1 = model.named_parameters().Single(p => p.name == "classifier.fc1.weight").parameter;

        // Then
        Assert.Equal(new long[] { 20, 8 * 3 * 3 }, fc1.shape);
    }
}
