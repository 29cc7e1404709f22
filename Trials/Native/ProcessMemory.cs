using System.Runtime.InteropServices;

namespace Mnist.Trials.Native;

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

    /// <summary>
    /// Keeps glibc from handing every batch-sized tensor back to the kernel as soon as it is freed.
    /// By default glibc serves blocks above its mmap threshold (128 KiB at first) with fresh mmaps and
    /// trims the heap top whenever 128 KiB is free, so each training step pays page faults and zeroing
    /// for memory it just released: the first epoch ran at about half the speed of later ones. The
    /// largest mmap threshold glibc accepts (32 MiB), a 1 GiB trim threshold and a 64 MiB top pad keep
    /// that memory in the heap; <see cref="TrimNativeHeap"/> after each epoch still returns it, so RSS
    /// stays flat. Returns false where glibc is not the C library (nothing changed).
    /// </summary>
    public static bool TuneNativeHeap()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Mallopt(MmapThreshold, 32 << 20) == 1
                & Mallopt(TrimThreshold, 1 << 30) == 1
                & Mallopt(TopPad, 64 << 20) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int TopPad = -2; // M_TOP_PAD
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);
}
