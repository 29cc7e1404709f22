using Npgsql;

namespace Mnist.Search.Storage;

/// <summary>
/// A parsed storage URL. SQLite: <c>sqlite:PATH</c>, or SQLAlchemy/Optuna style <c>sqlite:///PATH</c> (relative)
/// and <c>sqlite:////ABS/PATH</c> (absolute); relative paths resolve against a base directory.
/// PostgreSQL: <c>postgresql://user[:password]@host[:port]/database</c> (also <c>postgres://</c> and
/// <c>postgresql+psycopg2://</c>, as Optuna writes it).
/// </summary>
public sealed record StorageUrl
{
    private StorageUrl(StorageKind kind, string target, string display)
    {
        Kind = kind;
        Target = target;
        Display = display;
    }

    public StorageKind Kind { get; }

    /// <summary>SQLite: the absolute database file path. PostgreSQL: an Npgsql connection string.</summary>
    public string Target { get; }

    /// <summary>The URL with its password (if any) shown as <c>***</c>, for logs, messages and tables.</summary>
    public string Display { get; }

    /// <summary>
    /// Parses <paramref name="url"/>; relative SQLite paths resolve against <paramref name="baseDirectory"/>.
    /// Throws <see cref="FormatException"/> with a one-line message naming the URL and what is wrong.
    /// </summary>
    public static StorageUrl Parse(string url, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(url);
        url = url.Trim();
        if (url.StartsWith(SqlitePrefix, StringComparison.OrdinalIgnoreCase)) return ParseSqlite(url, baseDirectory);
        foreach (var scheme in new[] { "postgresql://", "postgres://", "postgresql+psycopg2://" })
            if (url.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return ParsePostgres(url, url[(scheme.Length - 3)..]);
        throw Bad(url, "expected sqlite:PATH, sqlite:///PATH or postgresql://user@host:port/database");
    }

    /// <summary>
    /// <paramref name="url"/> with a relative SQLite path made absolute against <paramref name="baseDirectory"/>, so it
    /// names the same file whatever folder later reads it (a command-line <c>--storage</c> is relative to the current
    /// folder, a <c>search.json</c>'s to the file's); other URLs unchanged. Throws as <see cref="Parse"/> does.
    /// </summary>
    public static string Anchor(string url, string baseDirectory)
    {
        var parsed = Parse(url, baseDirectory);
        return parsed.Kind == StorageKind.Sqlite ? ForSqlite(parsed.Target) : url;
    }

    /// <summary>
    /// The URL of the SQLite file <paramref name="path"/> (made absolute against the current folder), in the one form this
    /// tool writes: no caller builds the <c>sqlite:</c> prefix itself (it was a literal in ten places).
    /// </summary>
    public static string ForSqlite(string path) => SqlitePrefix + Path.GetFullPath(path);

    private const string SqlitePrefix = "sqlite:";

    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> name the same database once parsed (relative paths against
    /// <paramref name="baseDirectory"/>): <c>sqlite:/x</c>, <c>sqlite:////x</c> and <c>sqlite:///../x</c> are one file, which
    /// a comparison of the strings told apart. False when either is no URL.
    /// </summary>
    public static bool SameDatabase(string a, string b, string baseDirectory)
    {
        try
        {
            var (x, y) = (Parse(a, baseDirectory), Parse(b, baseDirectory));
            return x.Kind == y.Kind && (x.Kind == StorageKind.Sqlite
                ? string.Equals(x.Target, y.Target, StringComparison.Ordinal)
                : string.Equals(StripPassword(x.Target), StripPassword(y.Target), StringComparison.Ordinal));
        }
        catch (FormatException) { return false; }
    }

    private static string StripPassword(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Password = null }.ConnectionString;

    /// <summary>The URL Optuna (SQLAlchemy) accepts for the same database, with the password.</summary>
    public string ToOptunaUrl()
    {
        if (Kind == StorageKind.Sqlite) return "sqlite:///" + Target; // absolute Target gives sqlite:////abs
        var b = new NpgsqlConnectionStringBuilder(Target);
        var user = Uri.EscapeDataString(b.Username ?? "");
        var password = string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password);
        return $"postgresql+psycopg2://{user}{password}@{b.Host}:{b.Port}/{b.Database}";
    }

    public override string ToString() => Display;

    private static StorageUrl ParseSqlite(string url, string baseDirectory)
    {
        var rest = url[SqlitePrefix.Length..];
        if (rest.StartsWith("///", StringComparison.Ordinal)) rest = rest[3..];
        else if (rest.StartsWith("//", StringComparison.Ordinal)) throw Bad(url, "SQLite takes no host; write sqlite:///relative/path or sqlite:////absolute/path");
        if (rest.Length == 0) throw Bad(url, "no database file path");
        // Refused here, where --storage and $.storage meet: it ended in .NET's "Null character in path" and exit 1.
        if (rest.Any(char.IsControl)) throw Bad(url, "a file path must not contain control characters");
        if (rest.EndsWith('/')) throw Bad(url, "no database file name after the folder");
        if (rest.Contains('?')) throw Bad(url, "query parameters are not supported");
        if (rest == ":memory:") throw Bad(url, "an in-memory database vanishes with its connection; give a file path");
        var path = Path.GetFullPath(Path.IsPathRooted(rest) ? rest : Path.Combine(baseDirectory, rest));
        if (Directory.Exists(path)) throw Bad(url, $"'{path}' is a directory, not a database file");
        return new StorageUrl(StorageKind.Sqlite, path, "sqlite:///" + path);
    }

    private static StorageUrl ParsePostgres(string url, string normalized)
    {
        if (!Uri.TryCreate("postgresql" + normalized, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw Bad(url, "expected postgresql://user[:password]@host[:port]/database");
        if (!string.IsNullOrEmpty(uri.Query)) throw Bad(url, "query parameters are not supported");
        if (uri.Port == 0) throw Bad(url, "port must be in 1..65535, got 0");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/')) throw Bad(url, "expected one database name after the host, as in postgresql://user@host:5432/database");
        var userInfo = uri.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(userInfo[0]);
        if (user.Length == 0) throw Bad(url, "no user name (postgresql://USER@host/database)");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Username = user,
            Database = database,
        };
        if (userInfo.Length == 2) b.Password = Uri.UnescapeDataString(userInfo[1]);
        return new StorageUrl(StorageKind.Postgres, b.ConnectionString, DisplayOf(b));
    }

    /// <summary>The display form of a PostgreSQL connection: <c>postgresql://user:***@host:port/db</c> (no <c>:***</c> without a password).</summary>
    internal static string DisplayOf(NpgsqlConnectionStringBuilder b) =>
        $"postgresql://{b.Username}{(string.IsNullOrEmpty(b.Password) ? "" : ":" + Masked)}@{b.Host}:{b.Port}/{b.Database}";

    /// <summary>What every message, log line, table and stored configuration shows in place of a password.</summary>
    public const string Masked = "***";

    /// <summary>
    /// <paramref name="url"/> as the user wrote it, with its password replaced by <c>***</c> (issue 11: the password
    /// reached the console, study.log, <c>study list</c> and the stored configuration). Text that is no URL is returned as is.
    /// </summary>
    public static string Redact(string url) =>
        CutPassword(url) is var (before, _, after) ? before + ":" + Masked + after : url;

    /// <summary>
    /// A storage that is refused as no URL, as its refusal shows it: what may be a password is masked more widely than
    /// <see cref="Redact"/> masks a valid URL's. A password with an unescaped '/' was shown whole ("sec/ret") or in part
    /// ("bob:***@d:pw/x@host"): here everything from the user's ':' to the last '@' goes. A .NET user's first try, an
    /// Npgsql connection string ("Host=h;Password=pw"), and libpq's "?password=" showed it in clear: any key naming a
    /// password is masked, quoted values whole.
    /// </summary>
    internal static string RedactRefused(string url)
    {
        var masked = url.StartsWith("sqlite", StringComparison.OrdinalIgnoreCase) ? Redact(url)
            : CutPassword(url, toLastAt: true) is var (before, _, after) ? before + ":" + Masked + after : url;
        return PasswordKey.Replace(masked, m => m.Groups[1].Value + Masked);
    }

    private static readonly System.Text.RegularExpressions.Regex PasswordKey = new(
        @"((?:^|[;?&])\s*[^=;?&]*(?:pass|pwd|psw)[^=;?&]*=\s*)(""[^""]*""|'[^']*'|[^;&]*)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    /// <summary>
    /// A PostgreSQL <paramref name="url"/> without its password, and the password decoded (<c>%40</c> is <c>@</c>); the
    /// URL as it is and null when it holds none (SQLite, or a PostgreSQL user without one: <c>~/.pgpass</c>, <c>PGPASSWORD</c>).
    /// </summary>
    public static (string Url, string? Password) SplitPassword(string url) =>
        url.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) && CutPassword(url) is var (before, password, after)
            ? (before + after, Uri.UnescapeDataString(password))
            : (url, null);

    /// <summary>
    /// Where a URL's password is, for <see cref="Redact"/> and <see cref="SplitPassword"/>: the text before the ':' that
    /// opens it, the password as written (percent-escaped), and the text from the '@' that ends it; null when there is none.
    /// </summary>
    private static (string Before, string Password, string After)? CutPassword(string url, bool toLastAt = false)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return null;
        var slash = url.IndexOf('/', scheme + 3);
        // The user part ends at the last '@' before the path (a password may hold '@' written as it is).
        var at = url.LastIndexOf('@', slash < 0 || toLastAt ? url.Length - 1 : slash);
        if (at < scheme) return null;
        var colon = url.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? (url[..colon], url[(colon + 1)..at], url[at..]) : null;
    }

    // Control characters shown as \uXXXX: the message is one line, and a NUL in it cut it short on a terminal.
    private static FormatException Bad(string url, string why) =>
        new($"storage URL '{string.Concat(RedactRefused(url).Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()))}': {why}");
}
