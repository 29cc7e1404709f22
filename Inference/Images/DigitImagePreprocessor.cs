using System.Runtime.InteropServices;
using SkiaSharp;

namespace Mnist.Inference.Images;

/// <summary>
/// Turns a photo or drawing (PNG, JPEG, BMP, GIF, WebP; any size) into a model's 28×28 input: light on black,
/// values in [0, 1] row-major, shaped by the model's <see cref="ImageRecipe"/>: a digit is scaled (antialiased,
/// aspect kept) so its longer side is 20 px and placed by its centre of mass, as MNIST did; an object
/// (Fashion-MNIST) is taken whole, padded to a square and resized. Normalisation (mean/std) is the model's job.
/// </summary>
/// <remarks>
/// An image that already is such an input in its dataset's format (<see cref="DatasetFormat"/>: 28×28 on black, and for
/// MNIST's recipe its ink in a 20 px box centred by mass, as the datasets' own images are) is taken as it is: cropping
/// and re-placing MNIST's own test digits cost a 99.45 % model 14 of 10,000 answers.
/// Background polarity is detected from the median of the border pixels, so black-on-white scans
/// and white-on-black drawings give the same result; transparent pixels are composited over white.
/// Decoding uses only SkiaSharp calls that exist in both 2.88 (the Trials app) and 3.x (the test host).
/// </remarks>
internal static class DigitImagePreprocessor
{
    public const int CanvasSize = 28;
    public const int DigitBox = 20;

    /// <summary>Images above this many pixels are refused rather than decoded (a 50 MP photo is ~200 MB RGBA).</summary>
    public const long MaxPixels = 50_000_000;

    /// <summary>Files above this size are refused before reading (a 50 MP PNG is rarely over 100 MB).</summary>
    public const long MaxFileBytes = 256L << 20;

    // Ink darker/lighter than the background by less than this (on a 0..1 scale) counts as no ink at all.
    private const float MinContrast = 0.15f;

    // After contrast stretching, ink below this is treated as background noise (paper grain, JPEG ringing).
    private const float NoiseFloor = DatasetFormat.Black;

    /// <summary>Reads and preprocesses an image file.</summary>
    /// <exception cref="ImageInputException">The file is missing, unreadable, empty, not a decodable image,
    /// truncated, too large, or shows no ink.</exception>
    public static float[] Load(string path, ImageRecipe recipe)
    {
        byte[] bytes;
        try
        {
            bytes = ReadImageFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageInputException(path, e is FileNotFoundException or DirectoryNotFoundException
                ? "file not found"
                : $"cannot read the file ({e.Message})");
        }

        return FromEncoded(bytes, path, recipe);
    }

    // A directory used to fail with "Access denied", and /dev/zero was read until memory ran out (issue 11):
    // only a file of sane size is read, and never more bytes than its size says.
    private static byte[] ReadImageFile(string path)
    {
        if (Directory.Exists(path)) throw new ImageInputException(path, "is a directory, not an image file");
        // Devices, pipes and /proc files report size 0; a pipe is not even opened (that blocked until a writer came).
        // A missing file is "file not found" (below).
        if (File.Exists(path) && Mnist.Protocol.Files.RegularFile.Problem(path, long.MaxValue) is { } problem) throw new ImageInputException(path, problem);
        // The target's size for a link (RegularFile): the link's own size cut a linked image to its target name's length.
        var length = Mnist.Protocol.Files.RegularFile.Length(path);
        if (length > MaxFileBytes)
            throw new ImageInputException(path, $"is {length >> 20} MiB; image files above {MaxFileBytes >> 20} MiB are refused");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Preprocesses an encoded image held in memory; <paramref name="source"/> names it in errors.</summary>
    public static float[] FromEncoded(byte[] encoded, string source, ImageRecipe recipe)
    {
        var gray = DecodeGray(encoded, source);
        if (DatasetFormat.Holds(gray, recipe)) return AsInput(gray, source, recipe);
        var background = BorderMedian(gray.Pixels, gray.Width, gray.Height);
        return recipe == ImageRecipe.Resize ? Whole(gray, background, source) : FromInk(ToInk(gray, background), source);
    }

    // Already an input in the dataset's format (DatasetFormat: 28×28 on black, for MNIST also placed as MNIST did):
    // its pixels as they are, nothing re-placed.
    private static float[] AsInput(InkImage gray, string source, ImageRecipe recipe)
    {
        if (gray.Pixels.Max() < MinContrast) throw NothingFound(source, recipe);
        return (float[])gray.Pixels.Clone();
    }

    // Fashion-MNIST's way: the whole image, made light on dark (no contrast stretch: its pixels are the garment's
    // own shades), padded to a square with background so the aspect is kept, then resized to 28×28.
    private static float[] Whole(InkImage gray, float background, string source)
    {
        var lightBackground = background >= 0.5f;
        var pixels = gray.Pixels.Select(g => Math.Clamp(lightBackground ? background - g : g - background, 0f, 1f)).ToArray();
        if (pixels.Max() < MinContrast) throw NothingFound(source, ImageRecipe.Resize);
        var side = Math.Max(gray.Width, gray.Height);
        var square = new float[side * side];
        var (left, top) = ((side - gray.Width) / 2, (side - gray.Height) / 2);
        for (var y = 0; y < gray.Height; y++)
            Array.Copy(pixels, y * gray.Width, square, ((top + y) * side) + left, gray.Width);
        return Resampler.Resize(new InkImage(side, side, square), CanvasSize, CanvasSize).Pixels.Select(v => Math.Clamp(v, 0f, 1f)).ToArray();
    }

    private static ImageInputException NothingFound(string source, ImageRecipe recipe) =>
        new(source, $"no {recipe.Subject} found (the image has no ink that stands out from its background)");

    /// <summary>The geometric part of the pipeline, on an image already converted to ink (0 = background).</summary>
    /// <exception cref="ImageInputException">The image holds no ink.</exception>
    public static float[] FromInk(InkImage ink, string source)
    {
        var (left, top, right, bottom) = InkBounds(ink) ?? throw NothingFound(source, ImageRecipe.MnistDigit);
        var width = right - left + 1;
        var height = bottom - top + 1;
        var scale = (double)DigitBox / Math.Max(width, height);
        var scaledWidth = Math.Clamp((int)Math.Round(width * scale), 1, DigitBox);
        var scaledHeight = Math.Clamp((int)Math.Round(height * scale), 1, DigitBox);
        var digit = Resampler.Resize(Crop(ink, left, top, width, height), scaledWidth, scaledHeight);
        return PlaceByCentreOfMass(digit);
    }

    /// <summary>Decodes to grayscale (0 black, 1 white), alpha composited over white, turned upright.</summary>
    private static InkImage DecodeGray(byte[] encoded, string source)
    {
        if (encoded.Length == 0)
        {
            throw new ImageInputException(source, "file is empty");
        }

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new ImageInputException(source, "not a readable image (expected PNG, JPEG, BMP, GIF or WebP)");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
        {
            throw new ImageInputException(source, $"image has no pixels ({width}×{height})");
        }

        if ((long)width * height > MaxPixels)
        {
            throw new ImageInputException(source, $"image is {width}×{height}, over the {MaxPixels / 1_000_000}-megapixel limit");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[width * height * 4];
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        SKCodecResult result;
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }

        if (result != SKCodecResult.Success)
        {
            throw new ImageInputException(source, result == SKCodecResult.IncompleteInput
                ? "image data is truncated or corrupt"
                : $"image cannot be decoded ({result})");
        }

        // SKCodec hands out pixels as stored; the EXIF orientation says how to turn them upright.
        var orientation = (int)codec.EncodedOrigin;
        var gray = new float[width * height];
        for (var i = 0; i < gray.Length; i++)
        {
            var alpha = rgba[(4 * i) + 3] / 255f;
            var luminance = ((0.299f * rgba[4 * i]) + (0.587f * rgba[(4 * i) + 1]) + (0.114f * rgba[(4 * i) + 2])) / 255f;
            gray[i] = Math.Clamp((alpha * luminance) + (1 - alpha), 0f, 1f);
        }

        return new InkImage(width, height, gray).Oriented(orientation is >= 1 and <= 8 ? orientation : 1);
    }

    // Ink: the background removed, the digit made light and stretched so its strongest stroke is 1.
    private static InkImage ToInk(InkImage image, float background)
    {
        var (width, gray) = (image.Width, image.Pixels);
        var height = image.Height;
        var lightBackground = background >= 0.5f;
        var pixels = new float[gray.Length];
        var peak = 0f;
        for (var i = 0; i < gray.Length; i++)
        {
            // Distance from the background towards the ink side only; the other side is background too.
            var ink = lightBackground ? background - gray[i] : gray[i] - background;
            pixels[i] = Math.Max(ink, 0);
            peak = Math.Max(peak, pixels[i]);
        }

        if (peak < MinContrast)
        {
            return InkImage.Blank(width, height);
        }

        // Stretch so the strongest ink is 1, as in MNIST, where a pen stroke's core is (nearly) saturated.
        for (var i = 0; i < pixels.Length; i++)
        {
            var v = pixels[i] / peak;
            pixels[i] = v < NoiseFloor ? 0 : v;
        }

        return new InkImage(width, height, pixels);
    }

    private static float BorderMedian(float[] gray, int width, int height)
    {
        var border = new List<float>((2 * width) + (2 * height));
        for (var x = 0; x < width; x++)
        {
            border.Add(gray[x]);
            border.Add(gray[((height - 1) * width) + x]);
        }

        for (var y = 0; y < height; y++)
        {
            border.Add(gray[y * width]);
            border.Add(gray[(y * width) + width - 1]);
        }

        border.Sort();
        return border[border.Count / 2];
    }

    private static (int Left, int Top, int Right, int Bottom)? InkBounds(InkImage ink)
    {
        int left = int.MaxValue, top = int.MaxValue, right = -1, bottom = -1;
        for (var y = 0; y < ink.Height; y++)
        {
            for (var x = 0; x < ink.Width; x++)
            {
                if (ink[x, y] > 0)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        return right < 0 ? null : (left, top, right, bottom);
    }

    private static InkImage Crop(InkImage ink, int left, int top, int width, int height)
    {
        var pixels = new float[width * height];
        for (var y = 0; y < height; y++)
        {
            Array.Copy(ink.Pixels, ((top + y) * ink.Width) + left, pixels, y * width, width);
        }

        return new InkImage(width, height, pixels);
    }

    private static float[] PlaceByCentreOfMass(InkImage digit)
    {
        // Integer shifts (as MNIST) keep strokes crisp; the clamp keeps a lopsided digit wholly inside the canvas.
        const double centre = (CanvasSize - 1) / 2.0;
        var (cx, cy) = digit.CentreOfMass();
        var offsetX = Math.Clamp((int)Math.Round(centre - cx), 0, CanvasSize - digit.Width);
        var offsetY = Math.Clamp((int)Math.Round(centre - cy), 0, CanvasSize - digit.Height);
        var canvas = new float[CanvasSize * CanvasSize];
        for (var y = 0; y < digit.Height; y++)
        {
            for (var x = 0; x < digit.Width; x++)
            {
                canvas[((offsetY + y) * CanvasSize) + offsetX + x] = Math.Clamp(digit[x, y], 0f, 1f);
            }
        }

        return canvas;
    }
}
