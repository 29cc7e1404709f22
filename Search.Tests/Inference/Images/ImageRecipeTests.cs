using Mnist.Inference.Images;
using Mnist.Search.Tests.Support.Onnx;
using SkiaSharp;

namespace Mnist.Search.Tests.Inference.Images;

/// <summary>How a model's images are shaped: decided by its dataset, and for Fashion-MNIST the whole image, resized.</summary>
public sealed class ImageRecipeTests : IDisposable
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    private static readonly string[] Fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    private readonly TempDirectory _dir = new("image-recipe");

    public void Dispose() => _dir.Dispose();

    [Theory]
    // Recorded by an export: taken as recorded.
    [InlineData("resize", "mnist", "resize")]
    // Exported before recipes were recorded ('preprocessing' held MNIST's recipe in words): the dataset decides.
    [InlineData("as MNIST: the digit scaled (aspect kept) to fit a 20x20 box", "fashion-mnist", "resize")]
    [InlineData(null, "fashion-mnist", "resize")]
    [InlineData(null, "mnist", "mnist-digit")]
    public void TheRecordedRecipeElseTheDatasetsDecides(string? recorded, string dataset, string expected) =>
        Assert.Equal(expected, ImageRecipe.Of(recorded, dataset, dataset == "mnist" ? Digits : Fashion).Name);

    [Fact]
    public void WithoutADatasetTheClassNamesDecide()
    {
        Assert.Equal(ImageRecipe.MnistDigit, ImageRecipe.Of(null, null, Digits));
        Assert.Equal(ImageRecipe.Resize, ImageRecipe.Of(null, "kmnist-someday", Fashion));
    }

    [Fact]
    public void AFashionPhotoTwiceTheSizeOnWhiteComesBackAsTheDatasetsImage()
    {
        // Given a real Fashion-MNIST-like image: an MNIST test digit stands in for the garment's pixels (its shape does
        // not matter here), drawn dark on white at 56×56, as a photo of an object on paper would be
        var (images, _) = MnistFiles.TestImages(1);
        var original = images[0];
        var path = _dir["photo.png"];
        using (var bitmap = new SKBitmap(56, 56, SKColorType.Gray8, SKAlphaType.Opaque))
        {
            for (var y = 0; y < 56; y++)
                for (var x = 0; x < 56; x++)
                {
                    var v = (byte)Math.Round((1 - original[((y / 2) * 28) + (x / 2)]) * 255);
                    bitmap.SetPixel(x, y, new SKColor(v, v, v));
                }
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(path, data.ToArray());
        }

        // When it is shaped with each recipe
        var resized = DigitImagePreprocessor.Load(path, ImageRecipe.Resize);
        var digit = DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit);

        // Then Fashion's recipe gives back the 28×28 image (inverted, whole, nothing cropped or moved); MNIST's does not
        Assert.True(MeanAbsDifference(original, resized) < 0.01, $"resize differs by {MeanAbsDifference(original, resized)}");
        Assert.True(MeanAbsDifference(original, digit) > 0.02, $"mnist-digit differs by {MeanAbsDifference(original, digit)}");
    }

    private static double MeanAbsDifference(float[] a, float[] b) => a.Zip(b).Average(p => Math.Abs(p.First - p.Second));
}
