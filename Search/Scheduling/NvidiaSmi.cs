using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Mnist.Search.Scheduling;

/// <summary>
/// Lists NVIDIA GPUs with <c>nvidia-smi -L</c> and their memory with <c>--query-gpu</c>; no binary, a failure
/// or a hang means "no GPUs" (or "memory unknown").
/// </summary>
internal static partial class NvidiaSmi
{
    private const string MemoryQuery = "--query-gpu=index,memory.total,memory.used";

    public static IReadOnlyList<GpuInfo> ListGpus() => ListGpus("nvidia-smi", TimeSpan.FromSeconds(15));

    /// <summary>The GPUs <paramref name="fileName"/> lists, with their memory where the query answers.</summary>
    public static IReadOnlyList<GpuInfo> ListGpus(string fileName, TimeSpan timeout)
    {
        var list = Run(fileName, ["-L"], timeout);
        if (list is null) return [];
        var gpus = Parse(list);
        if (gpus.Count == 0) return gpus;
        var memory = Run(fileName, [MemoryQuery, "--format=csv,noheader,nounits"], timeout) is { } csv
            ? ParseMemory(csv)
            : new Dictionary<int, (long, long)>();
        return gpus.Select(g => memory.TryGetValue(g.Index, out var m) ? g with { MemoryTotalMiB = m.Total, MemoryUsedMiB = m.Used } : g)
            .ToList();
    }

    /// <summary>Parses lines like <c>GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)</c>; MIG lines are skipped.</summary>
    public static IReadOnlyList<GpuInfo> Parse(string output) =>
        output.Split('\n')
            .Select(line => GpuLine().Match(line.TrimEnd('\r')))
            .Where(m => m.Success)
            .Select(m => new GpuInfo(
                int.Parse(m.Groups["index"].Value, CultureInfo.InvariantCulture),
                m.Groups["name"].Value.Trim(),
                m.Groups["uuid"].Success ? m.Groups["uuid"].Value : null))
            .ToList();

    /// <summary>Parses <c>index, total, used</c> lines (MiB); lines that are not three integers (e.g. "[N/A]") are skipped.</summary>
    public static IReadOnlyDictionary<int, (long Total, long Used)> ParseMemory(string csv)
    {
        var result = new Dictionary<int, (long, long)>();
        foreach (var line in csv.Split('\n'))
        {
            var f = line.Split(',', StringSplitOptions.TrimEntries);
            if (f.Length == 3
                && int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var total)
                && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var used))
                result[index] = (total, used);
        }
        return result;
    }

    /// <summary>The program's stdout, or null when it is missing, fails or hangs.</summary>
    private static string? Run(string fileName, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(info);
            if (process is null) return null;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                // A wedged driver makes nvidia-smi hang; treat it as no GPUs rather than block the study.
                process.Kill(entireProcessTree: true);
                return null;
            }
            return process.ExitCode == 0 && stdout.Wait(timeout) && stderr.Wait(timeout) ? stdout.Result : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^GPU (?<index>\d+): (?<name>.+?)(?: \(UUID: (?<uuid>[^)]+)\))?\s*$")]
    private static partial Regex GpuLine();
}
