using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Mnist.Search.Scheduling;

/// <summary>Lists NVIDIA GPUs with <c>nvidia-smi -L</c>; no binary, a failure or a hang means "no GPUs".</summary>
internal static partial class NvidiaSmi
{
    public static IReadOnlyList<GpuInfo> ListGpus() => ListGpus("nvidia-smi", TimeSpan.FromSeconds(15));

    public static IReadOnlyList<GpuInfo> ListGpus(string fileName, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add("-L");
        try
        {
            using var process = Process.Start(info);
            if (process is null) return [];
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                // A wedged driver makes nvidia-smi hang; treat it as no GPUs rather than block the study.
                process.Kill(entireProcessTree: true);
                return [];
            }
            return process.ExitCode == 0 && stdout.Wait(timeout) && stderr.Wait(timeout) ? Parse(stdout.Result) : [];
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return [];
        }
    }

    /// <summary>Parses lines like <c>GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)</c>; MIG lines are skipped.</summary>
    public static IReadOnlyList<GpuInfo> Parse(string output) =>
        output.Split('\n')
            .Select(line => GpuLine().Match(line.TrimEnd('\r')))
            .Where(m => m.Success)
            .Select(m => new GpuInfo(
                int.Parse(m.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture),
                m.Groups["name"].Value.Trim(),
                m.Groups["uuid"].Success ? m.Groups["uuid"].Value : null))
            .ToList();

    [GeneratedRegex(@"^GPU (?<index>\d+): (?<name>.+?)(?: \(UUID: (?<uuid>[^)]+)\))?\s*$")]
    private static partial Regex GpuLine();
}
