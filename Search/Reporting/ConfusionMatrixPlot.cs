using System.Text.Json.Nodes;
using ScottPlot;

namespace Mnist.Search.Reporting;

/// <summary>Draws a confusion matrix (rows = true class, columns = predicted) as an annotated heatmap PNG.</summary>
public static class ConfusionMatrixPlot
{
    public const int Width = 640;
    public const int Height = 600;

    public static void Save(JsonArray matrix, string path, string title)
    {
        var n = matrix.Count;
        var counts = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                counts[i, j] = (double)matrix[i]![j]!;

        // Colour by row share so a class with few errors still shows them; annotate with raw counts.
        var shares = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            var total = Enumerable.Range(0, n).Sum(j => counts[i, j]);
            for (var j = 0; j < n; j++) shares[i, j] = total > 0 ? Math.Sqrt(counts[i, j] / total) : 0;
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        // ScottPlot's Blues runs dark to light; reversed, a larger share is darker. Row 0 of the data is drawn at
        // the top, matching the labels below.
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                var label = plot.Add.Text(counts[i, j].ToString("0"), j, n - 1 - i);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontSize = 11;
                label.LabelFontColor = shares[i, j] > 0.6 ? Colors.White : Colors.Black;
            }
        var ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var names = Enumerable.Range(0, n).Select(i => i.ToString()).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, names);
        plot.Axes.Left.SetTicks(ticks, names.Reverse().ToArray());
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title(title);
        Atomic.SavePng(plot, path, Width, Height);
    }
}
