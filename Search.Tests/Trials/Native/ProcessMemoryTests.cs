using Mnist.Trials.Native;

namespace Mnist.Search.Tests.Trials.Native;

public sealed class ProcessMemoryTests
{
    [Fact]
    public void OnLinuxGlibcAcceptsTheHeapSettingsAndReportsResidentMemory()
    {
        // When
        bool tuned = ProcessMemory.TuneNativeHeap();
        var rss = ProcessMemory.ResidentMegabytes();

        // Then (every value is within glibc's limits, e.g. the mmap threshold at most 32 MiB)
        Assert.True(tuned);
        Assert.NotNull(rss);
        Assert.InRange(rss!.Value, 10, 64 * 1024);
    }
}
