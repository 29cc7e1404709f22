using ScottPlot;
using SkiaSharp;

namespace Mnist.Search.Tests.Reporting;

/// <summary>
/// Reads a report's PNG where a plot drew a data point: the plot (built again from the same data) is laid out at the
/// PNG's size to find the point's pixel, and the PNG's pixels around it are compared with the series' colour.
/// </summary>
internal static class PlotPixels
{
    /// <summary>
    /// How many pixels within <paramref name="radius"/> of the point (<paramref name="x"/>, <paramref name="y"/>) in
    /// <paramref name="png"/> are a shade of <paramref name="color"/> (the colour over white, at any opacity from 30 %):
    /// 0 when something else (a legend box) is drawn over the point.
    /// </summary>
    public static int ShadesNear(string png, Plot plot, double x, double y, Color color, int radius = 4)
    {
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidDataException($"{png} is not an image");
        // Lays the plot out as it was saved, so coordinates map to the PNG's pixels.
        plot.RenderInMemory(bitmap.Width, bitmap.Height);
        var centre = plot.GetPixel(new Coordinates(x, y));
        var count = 0;
        for (var px = (int)centre.X - radius; px <= (int)centre.X + radius; px++)
            for (var py = (int)centre.Y - radius; py <= (int)centre.Y + radius; py++)
                if (px >= 0 && py >= 0 && px < bitmap.Width && py < bitmap.Height && IsShadeOf(bitmap.GetPixel(px, py), color))
                    count++;
        return count;
    }

    private static bool IsShadeOf(SKColor pixel, Color color)
    {
        double[] target = [color.R, color.G, color.B];
        double[] actual = [pixel.Red, pixel.Green, pixel.Blue];
        // Over white, each channel is 255 - t (255 - c) for one opacity t: read t off the channel that varies most.
        var reference = Enumerable.Range(0, 3).MaxBy(k => 255 - target[k]);
        var t = (255 - actual[reference]) / (255 - target[reference]);
        if (t is < 0.3 or > 1.1) return false;
        return Enumerable.Range(0, 3).All(k => Math.Abs(255 - t * (255 - target[k]) - actual[k]) <= 24);
    }
}
