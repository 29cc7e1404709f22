namespace Mnist.Search.Tests.Support.Workers;

/// <summary>
/// The built Trials worker as a machine that cannot load libtorch has it: a folder beside the tests' own with every file
/// linked, but <c>libc10.so</c> left out (as a copied build that lost a library, or a node lacking what libtorch needs).
/// The apphost and its <c>Trials.*</c> files are copied, so the folder is the application's; the rest are symbolic links.
/// Run it with <see cref="Environment"/>: TorchSharp otherwise copies libtorch from the NuGet cache (hundreds of MB) to
/// try again, which a real node has not got.
/// </summary>
internal sealed class WorkerWithoutLibTorch : IDisposable
{
    private readonly TempDirectory _dir = new("worker-without-libtorch");

    public WorkerWithoutLibTorch()
    {
        var built = AppContext.BaseDirectory;
        foreach (var entry in Directory.EnumerateFileSystemEntries(built))
        {
            var name = Path.GetFileName(entry);
            if (name == "runtimes") continue;
            if (name.StartsWith("Trials", StringComparison.Ordinal) && File.Exists(entry))
                File.Copy(entry, _dir[name], overwrite: false);
            else
                File.CreateSymbolicLink(_dir[name], entry);
        }
        var native = Path.Combine("runtimes", "linux-x64", "native");
        Directory.CreateDirectory(_dir[native]);
        foreach (var library in Directory.EnumerateFiles(Path.Combine(built, native)).Where(f => Path.GetFileName(f) != "libc10.so"))
            File.CreateSymbolicLink(Path.Combine(_dir[native], Path.GetFileName(library)), library);
        Directory.CreateDirectory(_dir["no-nuget-cache"]);
    }

    /// <summary>The worker's apphost.</summary>
    public string Executable => _dir["Trials"];

    /// <summary>What the worker (or the coordinator that starts it) needs in its environment.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["NUGET_PACKAGES"] = _dir["no-nuget-cache"] };

    public void Dispose() => _dir.Dispose();
}
