namespace Mnist.Inference.Images;

/// <summary>A single-channel image, row-major; in the preprocessor 0 is background and 1 is full ink.</summary>
internal sealed record InkImage(int Width, int Height, float[] Pixels)
{
    public float this[int x, int y] => Pixels[(y * Width) + x];

    public static InkImage Blank(int width, int height) => new(width, height, new float[width * height]);

    /// <summary>
    /// The centre of mass of the ink (grey levels as weights), in pixels from the top-left pixel's centre: where MNIST
    /// centred its digits, and where predict re-places a digit and checks one already placed. NaN for a blank image.
    /// </summary>
    public (double X, double Y) CentreOfMass()
    {
        double mass = 0, sumX = 0, sumY = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var v = this[x, y];
                mass += v;
                sumX += v * x;
                sumY += v * y;
            }
        }

        return (sumX / mass, sumY / mass);
    }

    /// <summary>
    /// The image as it should be displayed, given its EXIF orientation (1 = as stored … 8; see TIFF/EXIF tag
    /// 0x0112). Phone cameras store photos sideways and set this tag instead of rotating the pixels.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The orientation is not 1..8.</exception>
    public InkImage Oriented(int exifOrientation)
    {
        if (exifOrientation == 1)
        {
            return this;
        }

        var (w, h) = (Width, Height);
        var swap = exifOrientation >= 5;
        var (outW, outH) = swap ? (h, w) : (w, h);

        // For each displayed pixel (x', y'), the stored pixel it shows.
        Func<int, int, int> source = exifOrientation switch
        {
            2 => (x, y) => (y * w) + (w - 1 - x),
            3 => (x, y) => ((h - 1 - y) * w) + (w - 1 - x),
            4 => (x, y) => ((h - 1 - y) * w) + x,
            5 => (x, y) => (x * w) + y,
            6 => (x, y) => ((h - 1 - x) * w) + y,
            7 => (x, y) => ((h - 1 - x) * w) + (w - 1 - y),
            8 => (x, y) => (x * w) + (w - 1 - y),
            _ => throw new ArgumentOutOfRangeException(nameof(exifOrientation), exifOrientation, "EXIF orientation must be 1..8"),
        };
        var pixels = new float[Pixels.Length];
        for (var y = 0; y < outH; y++)
        {
            for (var x = 0; x < outW; x++)
            {
                pixels[(y * outW) + x] = Pixels[source(x, y)];
            }
        }

        return new InkImage(outW, outH, pixels);
    }
}
