using ScottPlot;
using Mnist.Protocol.Files;

namespace Mnist.Search.Reporting;

/// <summary>Saves plots as <see cref="Durable.Write"/> writes files: readers see the old image or the new one, never half of one.</summary>
public static class Atomic
{
    public static void SavePng(Plot plot, string path, int width, int height) =>
        Durable.Write(path, temporary => plot.SavePng(temporary, width, height));
}
