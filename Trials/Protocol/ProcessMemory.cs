namespace Mnist.Trials.Protocol;

/// <summary>Resident set size of this process, from <c>/proc/self/status</c> (native libtorch memory included, unlike GC counters).</summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS in MiB, or null where <c>/proc</c> is not available.</summary>
    public static double? ResidentMegabytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
