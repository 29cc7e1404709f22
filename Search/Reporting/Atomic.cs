using ScottPlot;
using Mnist.Protocol.Files;

namespace Mnist.Search.Reporting;

/// <summary>Writes files so that readers see the old file or the new one, never half of one.</summary>
public static class Atomic
{
    public static void SavePng(Plot plot, string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, width, height);
        Durable.Replace(tmp, path);
    }

    public static void WriteAllText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        Durable.Replace(tmp, path);
    }
}
