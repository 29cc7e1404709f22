using Mnist.Search.Tests.Support.Post;
using Mnist.Inference.Images;
using SkiaSharp;

namespace Mnist.Search.Tests.Inference.Images;

public sealed class DigitImagePreprocessorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Save(string name, byte[] bytes)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void WhenADarkDigitOnWhiteIsLoadedThenItBecomesALightDigitOnBlackCentredByMass()
    {
        // Given
        var path = Save("seven.png", DigitImages.Seven());

        // When
        var canvas = DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit);

        // Then
        Assert.Equal(784, canvas.Length);
        Assert.All(canvas, v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(1f, canvas.Max(), 3);
        Assert.True(CanvasStats.BorderIsEmpty(canvas));
        var (x, y) = CanvasStats.CentreOfMass(canvas);
        Assert.InRange(x, 13.0, 14.0);
        Assert.InRange(y, 13.0, 14.0);
    }

    [Fact]
    public void WhenTheDigitIsTallerThanWideThenItsHeightIsTwentyPixelsAndTheAspectIsKept()
    {
        // Given: the seven's ink spans about 94 × 124 px
        var path = Save("seven.png", DigitImages.Seven());

        // When
        var (width, height) = CanvasStats.InkBox(DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit));

        // Then
        Assert.Equal(20, height);
        Assert.InRange(width, 14, 16);
    }

    [Fact]
    public void WhenTheSameDigitIsLightOnDarkThenTheOutputMatchesTheDarkOnLightOne()
    {
        // Given
        var dark = Save("dark.png", DigitImages.Seven(background: SKColors.White, ink: SKColors.Black));
        var light = Save("light.png", DigitImages.Seven(background: SKColors.Black, ink: SKColors.White));

        // When
        var fromDark = DigitImagePreprocessor.Load(dark, ImageRecipe.MnistDigit);
        var fromLight = DigitImagePreprocessor.Load(light, ImageRecipe.MnistDigit);

        // Then
        Assert.True(CanvasStats.MaxAbsDifference(fromDark, fromLight) < 0.02);
    }

    [Fact]
    public void WhenTheBackgroundIsTransparentThenItIsTreatedAsWhite()
    {
        // Given
        var opaque = Save("opaque.png", DigitImages.Seven());
        var transparent = Save("transparent.png", DigitImages.Seven(background: SKColors.Transparent));

        // When / Then
        Assert.True(CanvasStats.MaxAbsDifference(
            DigitImagePreprocessor.Load(opaque, ImageRecipe.MnistDigit), DigitImagePreprocessor.Load(transparent, ImageRecipe.MnistDigit)) < 0.02);
    }

    [Fact]
    public void WhenTheDigitIsSmallAndOffCentreInAWideImageThenTheResultStillMatchesTheCentredOne()
    {
        // Given: the same seven at 60% size in the top-left part of a 400×150 gray-on-light-gray image
        var centred = Save("centred.png", DigitImages.Seven());
        var shifted = Save("shifted.png", DigitImages.Seven(
            400, 150, new SKColor(220, 220, 220), new SKColor(40, 40, 40), scale: 0.6f, dx: 10, dy: 5));

        // When
        var fromCentred = DigitImagePreprocessor.Load(centred, ImageRecipe.MnistDigit);
        var fromShifted = DigitImagePreprocessor.Load(shifted, ImageRecipe.MnistDigit);

        // Then
        Assert.Equal(20, CanvasStats.InkBox(fromShifted).Height);
        var (x, y) = CanvasStats.CentreOfMass(fromShifted);
        Assert.InRange(x, 13.0, 14.0);
        Assert.InRange(y, 13.0, 14.0);
        var difference = CanvasStats.MeanAbsDifferenceUpToOnePixel(fromCentred, fromShifted);
        Assert.True(difference < 0.03, $"mean difference {difference}");
    }

    [Fact]
    public void WhenTheImageIsSmallerThanTheDigitBoxThenItIsScaledUp()
    {
        // Given: a 16×16 drawing
        var path = Save("tiny.png", DigitImages.Seven(16, 16, scale: 0.08f));

        // When
        var canvas = DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit);

        // Then
        Assert.Equal(20, CanvasStats.InkBox(canvas).Height);
        Assert.True(CanvasStats.BorderIsEmpty(canvas));
    }

    [Fact]
    public void WhenTheImageIsAJpegThenItGivesNearlyThePngResult()
    {
        // Given
        var png = Save("seven.png", DigitImages.Seven());
        var jpeg = Save("seven.jpg", DigitImages.Seven(format: SKEncodedImageFormat.Jpeg));

        // When / Then
        Assert.True(CanvasStats.MeanAbsDifference(DigitImagePreprocessor.Load(png, ImageRecipe.MnistDigit), DigitImagePreprocessor.Load(jpeg, ImageRecipe.MnistDigit)) < 0.02);
    }

    [Fact]
    public void WhenAJpegCarriesAnExifOrientationThenTheDigitIsTurnedUprightFirst()
    {
        // Given: the seven stored turned 90° counter-clockwise, tagged "rotate 90° clockwise to display" (6)
        var upright = Save("upright.png", DigitImages.Seven());
        var sideways = DigitImages.Seven(format: SKEncodedImageFormat.Jpeg, rotateDegrees: -90);
        var tagged = Save("tagged.jpg", DigitImages.WithExifOrientation(sideways, 6));
        var untagged = Save("untagged.jpg", sideways);

        // When
        var expected = DigitImagePreprocessor.Load(upright, ImageRecipe.MnistDigit);
        var fromTagged = DigitImagePreprocessor.Load(tagged, ImageRecipe.MnistDigit);
        var fromUntagged = DigitImagePreprocessor.Load(untagged, ImageRecipe.MnistDigit);

        // Then
        Assert.True(CanvasStats.MeanAbsDifferenceUpToOnePixel(expected, fromTagged) < 0.03);
        Assert.True(CanvasStats.MeanAbsDifferenceUpToOnePixel(expected, fromUntagged) > 0.1);
    }

    [Fact]
    public void WhenTheImageIsABmpThenABlackBarBecomesATwentyByFiveBar()
    {
        // Given: a 10 × 40 black bar at (30, 20) in a 100 × 80 white BMP
        var path = Save("bar.bmp", DigitImages.Bmp(100, 80, (x, y) => x is >= 30 and < 40 && y is >= 20 and < 60 ? (byte)0 : (byte)255));

        // When
        var canvas = DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit);

        // Then: a solid 5 × 20 block of ones, centred (columns 12..16, rows 4..23)
        Assert.Equal((5, 20), CanvasStats.InkBox(canvas));
        Assert.Equal(100, canvas.Count(v => v == 1f));
        Assert.Equal(1f, canvas[(4 * 28) + 12]);
        Assert.Equal(1f, canvas[(23 * 28) + 16]);
    }

    [Fact]
    public void WhenGivenASquareBlockOfInkThenItFillsTheCentralTwentyByTwentySquare()
    {
        // Given: a 40×40 block inside a 60×50 ink image
        var pixels = new float[60 * 50];
        for (var y = 3; y < 43; y++)
        {
            for (var x = 15; x < 55; x++)
            {
                pixels[(y * 60) + x] = 1f;
            }
        }

        // When
        var canvas = DigitImagePreprocessor.FromInk(new InkImage(60, 50, pixels), "block");

        // Then: centre of mass 9.5 inside the 20×20 block → offset 4 on both axes
        for (var i = 0; i < 784; i++)
        {
            var inside = i / 28 is >= 4 and < 24 && i % 28 is >= 4 and < 24;
            Assert.Equal(inside ? 1f : 0f, canvas[i], 5);
        }
    }

    [Fact]
    public void WhenTheFileDoesNotExistThenTheErrorNamesItAndSaysNotFound()
    {
        var path = _dir.File("missing.png");
        var error = Assert.Throws<ImageInputException>(() => DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit));
        Assert.Equal($"{path}: file not found", error.Message);
        Assert.Equal(path, error.ImagePath);
    }

    [Fact]
    public void WhenTheFileIsEmptyThenTheErrorSaysSo()
    {
        var path = Save("empty.png", []);
        var error = Assert.Throws<ImageInputException>(() => DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit));
        Assert.Equal($"{path}: is empty, or not a regular file (a device, pipe or special file)", error.Message);
    }

    [Fact]
    public void WhenTheFileIsTextThenTheErrorSaysItIsNotAnImage()
    {
        var path = Save("notes.png", "this is not an image\n"u8.ToArray());
        var error = Assert.Throws<ImageInputException>(() => DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit));
        Assert.StartsWith(path + ": not a readable image", error.Message);
    }

    [Fact]
    public void WhenAPngIsTruncatedThenTheErrorSaysItIsCorrupt()
    {
        // Given: the first half of a valid PNG (the header survives, the pixel data does not)
        var whole = DigitImages.Seven();
        var path = Save("cut.png", whole[..(whole.Length / 2)]);

        // When
        var error = Assert.Throws<ImageInputException>(() => DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit));

        // Then
        Assert.Equal($"{path}: image data is truncated or corrupt", error.Message);
    }

    [Fact]
    public void WhenAPngsPixelDataIsGarbageThenItIsRefused()
    {
        // Given: a valid PNG signature and header, followed by random bytes
        var whole = DigitImages.Seven();
        var garbage = whole.ToArray();
        new Random(3).NextBytes(garbage.AsSpan(64));
        var path = Save("garbage.png", garbage);

        // When / Then
        var error = Assert.Throws<ImageInputException>(() => DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit));
        Assert.StartsWith(path + ":", error.Message);
    }

    [Theory]
    [InlineData(255, 255, 255)]
    [InlineData(0, 0, 0)]
    [InlineData(128, 128, 128)]
    public void WhenTheImageIsUniformThenTheErrorSaysNoDigitWasFound(byte r, byte g, byte b)
    {
        var path = Save("blank.png", DigitImages.Blank(50, 40, new SKColor(r, g, b)));
        var error = Assert.Throws<ImageInputException>(() => DigitImagePreprocessor.Load(path, ImageRecipe.MnistDigit));
        Assert.StartsWith(path + ": no digit found", error.Message);
    }
}
