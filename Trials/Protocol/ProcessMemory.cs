using System.Runtime.InteropServices;

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

    /// <summary>
    /// Returns freed native heap pages to the OS (glibc <c>malloc_trim</c>). libtorch frees its batch
    /// tensors every step, but glibc keeps the freed pages (and raises its mmap threshold after large
    /// frees), so without this RSS creeps up over the first epochs although nothing leaks. A no-op
    /// where glibc is not the C library.
    /// </summary>
    public static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
