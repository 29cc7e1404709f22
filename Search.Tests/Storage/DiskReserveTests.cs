using Mnist.Search.Storage;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Storage;

/// <summary>
/// The disk reserve beside a SQLite database is written under a name nobody can foresee, and only where nothing is:
/// named by the process id alone and opened to truncate, it followed a link planted there by anyone who could write the
/// database's folder and overwrote the link's target with a mebibyte of zeros (audit-security 1).
/// </summary>
public sealed class DiskReserveTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task ALinkPlantedWhereTheReserveOnceWroteIsNotFollowed()
    {
        // Given a file of someone's, and a link to it planted at the name the reserve's temporary file had
        var victim = _folder.Combine("victim.txt");
        File.WriteAllText(victim, "precious");
        var db = _folder.Combine("study.db");
        File.CreateSymbolicLink($"{db}{DiskReserve.Suffix}.tmp-{Environment.ProcessId}", victim);

        // When a storage opens on a new database there (which makes the reserve)
        await using (var storage = await StorageFactory.OpenAsync($"sqlite:///{db}", _folder.Path))
            await storage.CreateStudyAsync("s", StudyDirection.MAXIMIZE);

        // Then the file is untouched, the reserve is made, and no temporary file of it is left
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(DiskReserve.Bytes, new FileInfo(db + DiskReserve.Suffix).Length);
        Assert.DoesNotContain(Directory.GetFiles(_folder.Path), f => Path.GetFileName(f).Contains(".tmp-", StringComparison.Ordinal)
            && new FileInfo(f).LinkTarget is null);
    }
}
