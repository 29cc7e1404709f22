using System.Security.Cryptography;

namespace Mnist.Search.Data;

/// <summary>Checks dataset files against the catalog's SHA-256 sums.</summary>
internal static class DatasetVerifier
{
    /// <summary>Lower-case hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static bool Matches(DatasetFile file, ReadOnlySpan<byte> bytes) => Sha256(bytes) == file.Sha256;

    /// <summary>What <see cref="CheckAsync"/> says of a file that is not there.</summary>
    public const string Missing = "missing";

    /// <summary>Null when <c>directory/file</c> exists and has the right hash, else what is wrong ("missing", "checksum mismatch").</summary>
    public static async Task<string?> CheckAsync(DatasetFile file, string directory, CancellationToken ct = default)
    {
        var path = Path.Combine(directory, file.Name);
        if (!File.Exists(path)) return Missing;
        // A device or pipe in its place was hashed forever (/dev/zero); dataset files are at most ~50 MB.
        if (Mnist.Protocol.Files.RegularFile.Problem(path, Mnist.Protocol.Datasets.DatasetNames.MaxFileBytes) is { } problem) return problem;
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
        return hash == file.Sha256 ? null : $"checksum mismatch (sha256 {hash})";
    }

    /// <summary>
    /// Another dataset of the catalog whose every file is in <paramref name="directory"/> and verified, or null: the files
    /// a study of <paramref name="dataset"/> found there are that one's.
    /// </summary>
    public static async Task<DatasetDefinition?> OtherDatasetInAsync(DatasetDefinition dataset, string directory, CancellationToken ct = default)
    {
        foreach (var other in DatasetCatalog.All.Where(d => d.Name != dataset.Name))
            if ((await CheckAllAsync(other, directory, ct).ConfigureAwait(false)).Count == 0) return other;
        return null;
    }

    /// <summary>The problems of every file of <paramref name="dataset"/> in <paramref name="directory"/>; empty when all are valid.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> CheckAllAsync(DatasetDefinition dataset, string directory, CancellationToken ct = default)
    {
        var problems = new Dictionary<string, string>();
        foreach (var file in dataset.Files)
            if (await CheckAsync(file, directory, ct).ConfigureAwait(false) is { } problem)
                problems[file.Name] = problem;
        return problems;
    }
}
