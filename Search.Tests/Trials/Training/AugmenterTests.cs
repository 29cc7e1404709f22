using Mnist.Search.Tests.Support.Trials;
using Mnist.Trials.Data;
using Mnist.Trials.Protocol;
using Mnist.Trials.Training;
using TorchSharp;

namespace Mnist.Search.Tests.Trials.Training;

public sealed class AugmenterTests
{
    private const double Background = -0.1307 / 0.3081;

    private static DataSplit Batch(int n)
    {
        var (pixels, labels) = SyntheticDigits.Generate(n, seed: 12);
        return DatasetLoader.FromBytes(pixels, labels, n, 0.1307, 0.3081);
    }

    [Fact]
    public void WhenAugmentationIsOnThenShapesStayAndPixelsChange()
    {
        // Given
        using var batch = Batch(16);
        using var generator = new torch.Generator(1);
        var augmenter = Augmenter.From(new Hyperparameters { RotationDegrees = 15, TranslateFraction = 0.1, ScaleFraction = 0.1 }, Background, generator)!;

        // When
        using var scope = torch.NewDisposeScope();
        var output = augmenter.Apply(batch.Images);

        // Then
        Assert.Equal(batch.Images.shape, output.shape);
        Assert.Equal(batch.Images.dtype, output.dtype);
        var perImageChange = (output - batch.Images).abs().amax([1, 2, 3]);
        Assert.True(perImageChange.min().item<float>() > 0.5, "every image should be transformed");
    }

    [Fact]
    public void WhenImagesAreShiftedThenTheUncoveredBorderIsBackgroundNotZero()
    {
        // Given an all-background batch
        using Scalar background = Background; // held, not a temporary (see HeldScalars)
        using var black = torch.full(8, 1, 28, 28, background);
        using var generator = new torch.Generator(2);
        var augmenter = Augmenter.From(new Hyperparameters { TranslateFraction = 0.3, RotationDegrees = 30 }, Background, generator)!;

        // When
        using var scope = torch.NewDisposeScope();
        var output = augmenter.Apply(black);

        // Then: padding shows as background (the normalised black), so the batch is unchanged
        Assert.True(torch.allclose(output, black, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void WhenAllMagnitudesAreZeroThenThereIsNoAugmenterAndTheIdentityWarpKeepsPixels()
    {
        // Given
        using var batch = Batch(8);
        using var generator = new torch.Generator(3);

        // When
        var none = Augmenter.From(new Hyperparameters(), Background, generator);
        var identity = new Augmenter(0, 0, 0, Background, generator);
        using var scope = torch.NewDisposeScope();
        var output = identity.Apply(batch.Images);

        // Then
        Assert.Null(none);
        Assert.True(torch.allclose(output, batch.Images, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void WhenTheSameSeedIsUsedThenTheSameAugmentedBatchComesOut()
    {
        // Given
        using var batch = Batch(8);
        var hp = new Hyperparameters { RotationDegrees = 20, TranslateFraction = 0.1 };
        using var g1 = new torch.Generator(42);
        using var g2 = new torch.Generator(42);

        // When
        using var scope = torch.NewDisposeScope();
        var a = Augmenter.From(hp, Background, g1)!.Apply(batch.Images);
        var b = Augmenter.From(hp, Background, g2)!.Apply(batch.Images);

        // Then
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
    }
}
