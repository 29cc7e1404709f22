using ScottPlot;
using Mnist.Protocol.Files;

namespace Mnist.Search.Reporting;

/// <summary>Writes files so that readers see the old file or the new one, never half of one.</summary>
public static class Atomic
{
    public static void SavePng(Plot plot, string path, int width, int height) =>
        Durable.Write(path, temporary => plot.SavePng(temporary, width, height));

    public static void WriteAllText(string path, string text) => Durable.WriteAllText(path, text);
}
