namespace Mnist.Search.Cluster;

/// <summary>
/// Takes the password out of a PostgreSQL storage URL, for a job script that hands it to the worker in
/// <c>PGPASSWORD</c> (which Npgsql reads) instead of in its command line: on a node every user sees every process's
/// command line (<c>ps</c>), while a process's environment is its owner's alone.
/// </summary>
internal static class StoragePassword
{
    /// <summary>
    /// <paramref name="url"/> without its password, and the password decoded (<c>%40</c> is <c>@</c>); the URL as it is
    /// and null when it holds none (SQLite, or a PostgreSQL user without one: <c>~/.pgpass</c>, <c>PGPASSWORD</c>).
    /// </summary>
    public static (string Url, string? Password) Split(string url)
    {
        if (!url.StartsWith("postgres", StringComparison.OrdinalIgnoreCase)) return (url, null);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return (url, null);
        var slash = url.IndexOf('/', scheme + 3);
        // The user part ends at the last '@' before the path (a password may hold '@' written as it is).
        var at = url.LastIndexOf('@', slash < 0 ? url.Length - 1 : slash);
        if (at < scheme) return (url, null);
        var colon = url.IndexOf(':', scheme + 3);
        if (colon < 0 || colon > at) return (url, null);
        return (url[..colon] + url[at..], Uri.UnescapeDataString(url[(colon + 1)..at]));
    }
}
