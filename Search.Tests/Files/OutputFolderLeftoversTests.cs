using System.Diagnostics;
using Mnist.Search.Files;

namespace Mnist.Search.Tests.Files;

/// <summary>
/// The staging folders that SIGKILLed exports and reports left beside other output folders than the next one's: removed
/// once their process is gone and nothing wrote them for an hour. Only a later run to the same folder removed them, and
/// a job exporting to dated folders piled them up (audit-chaos 4).
/// </summary>
public sealed class OutputFolderLeftoversTests : IDisposable
{
    private readonly TempDirectory _dir = new("output-leftovers");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AStagingFolderOfAnotherNameLeftByAGoneProcessAnHourAgoIsRemovedByTheNextExport()
    {
        // Given staging folders beside other outputs: of a gone process two hours ago and a minute ago, of a live
        // process two hours ago, and one of another program's naming
        var gone = GonePid();
        var old = Leftover($".export-2026-12-01.tmp-{gone}-{Guid.NewGuid():N}", TimeSpan.FromHours(2));
        var recent = Leftover($".export-2026-12-02.tmp-{gone}-{Guid.NewGuid():N}", TimeSpan.FromMinutes(1));
        var live = Leftover($".export-2026-12-03.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}", TimeSpan.FromHours(2));
        var oldSwap = Leftover($".export-2026-12-04.old-{gone}-{Guid.NewGuid():N}", TimeSpan.FromHours(2));
        var foreign = Leftover($".cache.tmp-{gone}-x", TimeSpan.FromHours(2));

        // When an export to yet another folder is staged there
        var staging = OutputFolder.Stage(_dir["export-2026-12-05"], "export", new HashSet<string>());
        OutputFolder.Discard(staging);

        // Then the gone process's leftovers quiet for an hour are removed, and the others are left alone
        Assert.False(Directory.Exists(old), old);
        Assert.False(Directory.Exists(oldSwap), oldSwap);
        Assert.True(Directory.Exists(recent), recent);
        Assert.True(Directory.Exists(live), live);
        Assert.True(Directory.Exists(foreign), foreign);
    }

    // A folder holding a model file, both last written `age` ago.
    private string Leftover(string name, TimeSpan age)
    {
        var folder = Directory.CreateDirectory(_dir[name]).FullName;
        var file = Path.Combine(Directory.CreateDirectory(Path.Combine(folder, ".model")).FullName, "model.bin");
        File.WriteAllBytes(file, new byte[68]);
        var then = DateTime.UtcNow - age;
        File.SetLastWriteTimeUtc(file, then);
        Directory.SetLastWriteTimeUtc(Path.Combine(folder, ".model"), then);
        Directory.SetLastWriteTimeUtc(folder, then);
        return folder;
    }

    // The pid of a process that has ended.
    private static int GonePid()
    {
        using var p = Process.Start("true")!;
        p.WaitForExit();
        return p.Id;
    }
}
