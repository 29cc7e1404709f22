namespace Mnist.Search.Tests.Support.Post;

/// <summary>Measurements of a 28×28 preprocessed digit used in assertions.</summary>
internal static class CanvasStats
{
    public static (double X, double Y) CentreOfMass(float[] canvas)
    {
        double mass = 0, x = 0, y = 0;
        for (var i = 0; i < canvas.Length; i++)
        {
            mass += canvas[i];
            x += canvas[i] * (i % 28);
            y += canvas[i] * (i / 28);
        }

        return (x / mass, y / mass);
    }

    /// <summary>Width and height of the box holding every non-zero pixel.</summary>
    public static (int Width, int Height) InkBox(float[] canvas)
    {
        var rows = Enumerable.Range(0, 28).Where(r => Enumerable.Range(0, 28).Any(c => canvas[(r * 28) + c] > 0)).ToList();
        var cols = Enumerable.Range(0, 28).Where(c => Enumerable.Range(0, 28).Any(r => canvas[(r * 28) + c] > 0)).ToList();
        return (cols.Max() - cols.Min() + 1, rows.Max() - rows.Min() + 1);
    }

    public static double MaxAbsDifference(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs(p - q)).Max();

    public static double MeanAbsDifference(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs(p - q)).Average();

    /// <summary>The smallest mean difference over integer shifts of <paramref name="b"/> by up to one pixel:
    /// centring by mass rounds to whole pixels, so the same digit drawn elsewhere may land one pixel apart.</summary>
    public static double MeanAbsDifferenceUpToOnePixel(float[] a, float[] b)
    {
        var best = double.MaxValue;
        for (var dy = -1; dy <= 1; dy++)
        {
            for (var dx = -1; dx <= 1; dx++)
            {
                var sum = 0.0;
                for (var y = 0; y < 28; y++)
                {
                    for (var x = 0; x < 28; x++)
                    {
                        var (sx, sy) = (x + dx, y + dy);
                        var other = sx is >= 0 and < 28 && sy is >= 0 and < 28 ? b[(sy * 28) + sx] : 0f;
                        sum += Math.Abs(a[(y * 28) + x] - other);
                    }
                }

                best = Math.Min(best, sum / 784);
            }
        }

        return best;
    }

    public static bool BorderIsEmpty(float[] canvas)
        => Enumerable.Range(0, 28).All(i =>
            canvas[i] == 0 && canvas[(27 * 28) + i] == 0 && canvas[i * 28] == 0 && canvas[(i * 28) + 27] == 0);
}
