using System.Text.RegularExpressions;

namespace Mnist.Search.Storage;

/// <summary>
/// Lets through ad-hoc SQL (<c>trials sql</c>) only when it is one statement that starts as a query and calls no
/// function that touches server files or runs SQL given as a string. It reads the text as the database's own lexer
/// does (strings, quoted names, comments, PostgreSQL's <c>E'...'</c> and <c>$tag$</c> quoting and nested comments),
/// so a semicolon or a name hidden in a string is not mistaken for code, and code is never taken for a string.
/// </summary>
/// <remarks>
/// This is the first of three walls (issue 11): the connection is also read-only (SQLite <c>Mode=ReadOnly</c>,
/// PostgreSQL a <c>READ ONLY</c> transaction that has already taken its snapshot, so it cannot be switched to
/// read-write). The guard is what stops the statements a read-only connection still runs: SQLite's
/// <c>VACUUM INTO</c> and <c>ATTACH</c>, PostgreSQL's <c>COPY ... TO</c> and <c>lo_export</c>.
/// </remarks>
internal static partial class SqlGuard
{
    /// <summary>The statements a query may start with.</summary>
    public static readonly IReadOnlySet<string> Leading = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW",
    };

    /// <summary>
    /// Functions that read or write files on the database server, or reach other databases; and the views that read
    /// the server's configuration files.
    /// </summary>
    public static readonly IReadOnlySet<string> DeniedFunctions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "lo_export", "lo_import", "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file",
        "pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_logdir_ls",
        "dblink", "dblink_exec", "dblink_connect", "dblink_connect_u", "dblink_send_query",
        "load_extension", "writefile", "readfile", "edit", "fts3_tokenizer",
        "pg_file_settings", "pg_hba_file_rules", "pg_ident_file_mappings",
        // Functions that act on other sessions or on the server: a role shared with the study's workers may signal
        // every session of that role, and pg_terminate_backend from `trials sql` ended a colleague's psql and a live
        // worker's connections (audit-security 3). The advisory locks (prefix below) would hold the lock this tool
        // takes to make a schema for as long as the query runs.
        "pg_terminate_backend", "pg_cancel_backend", "pg_signal_backend", "pg_reload_conf", "pg_rotate_logfile",
        "pg_promote", "pg_log_backend_memory_contexts", "pg_switch_wal", "pg_create_restore_point",
    };

    /// <summary>
    /// Name beginnings of families of such functions: dblink's (dblink_open, …), the server's pg_ls_*dir listings, the
    /// advisory locks (pg_advisory_lock, pg_try_advisory_xact_lock, …).
    /// </summary>
    public static readonly IReadOnlyList<string> DeniedPrefixes = ["dblink", "pg_ls_", "pg_advisory", "pg_try_advisory"];

    /// <summary>
    /// PostgreSQL functions that run SQL they are given as a string. The guard skips strings, so
    /// <c>query_to_xml('SELECT pg_read_file(...)', ...)</c> ran a refused function and printed the file. (The
    /// <c>table_to_xml</c>, <c>schema_to_xml</c> and <c>database_to_xml</c> families only read tables by name, as
    /// a SELECT may.)
    /// </summary>
    public static readonly IReadOnlySet<string> SqlRunningFunctions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema",
        "ts_stat", "ts_rewrite",
    };

    /// <summary>Throws <see cref="QueryRefusedException"/> unless <paramref name="sql"/> is one allowed query.</summary>
    public static void Check(string sql, StorageKind dialect)
    {
        var words = new List<(string Text, bool Quoted)>();
        var statementEnded = false;
        var pg = dialect == StorageKind.Postgres;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '-' && next == '-') { i = EndOfLine(sql, i); continue; }
            if (c == '/' && next == '*') { i = EndOfComment(sql, i, nested: pg); continue; }
            if (statementEnded)
                throw new QueryRefusedException("trials sql runs exactly one statement; remove everything after the first ';'");
            if (c == ';') { statementEnded = true; i++; continue; }
            if (c == '\'')
            {
                var backslashEscapes = pg && i > 0 && sql[i - 1] is 'E' or 'e' && (i < 2 || !IsWordChar(sql[i - 2]));
                i = EndOfQuoted(sql, i, '\'', backslashEscapes);
                continue;
            }
            if (c is '"' or '`' || c == '[' && !pg)
            {
                // U&"pg_read_fil\0065" is pg_read_file spelled with a Unicode escape, which no name list matches.
                if (pg && c == '"' && i >= 2 && sql[i - 1] == '&' && sql[i - 2] is 'U' or 'u' && (i < 3 || !IsWordChar(sql[i - 3])))
                    throw new QueryRefusedException(
                        $"trials sql refuses the name U&{sql[i..EndOfQuoted(sql, i, '"', backslashEscapes: false)]}: Unicode escapes in a name can spell a refused function; write the name plainly");
                var close = c == '[' ? ']' : c;
                var end = EndOfQuoted(sql, i, close, backslashEscapes: false);
                words.Add((sql[(i + 1)..Math.Max(i + 1, end - 1)].Replace(new string(close, 2), close.ToString()), true));
                i = end;
                continue;
            }
            if (c == '$' && pg && DollarTag().Match(sql, i) is { Success: true } tag)
            {
                var close = sql.IndexOf(tag.Value, i + tag.Length, StringComparison.Ordinal);
                i = close < 0 ? sql.Length : close + tag.Length;
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < sql.Length && IsWordChar(sql[i])) i++;
                words.Add((sql[start..i], false));
                continue;
            }
            i++;
        }

        if (words.Count == 0) throw new QueryRefusedException("trials sql: the query is empty");
        if (words[0].Quoted || !Leading.Contains(words[0].Text))
            throw new QueryRefusedException(
                $"trials sql runs queries only: the statement starts with '{words[0].Text}', allowed are {string.Join(", ", Leading)}");
        if (words.FirstOrDefault(w => DeniedFunctions.Contains(w.Text) || DeniedPrefixes.Any(p => w.Text.StartsWith(p, StringComparison.OrdinalIgnoreCase))) is { Text: { } denied })
            throw new QueryRefusedException($"trials sql refuses '{denied}': it reads or writes files on the database server or reaches another database");
        if (words.FirstOrDefault(w => SqlRunningFunctions.Contains(w.Text)) is { Text: { } runner })
            throw new QueryRefusedException($"trials sql refuses '{runner}': it runs SQL given to it as a string, which this check cannot see into");
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    private static int EndOfLine(string sql, int i)
    {
        var end = sql.IndexOf('\n', i);
        return end < 0 ? sql.Length : end + 1;
    }

    // PostgreSQL nests block comments; SQLite ends one at the first "*/".
    private static int EndOfComment(string sql, int i, bool nested)
    {
        var depth = 0;
        while (i < sql.Length)
        {
            if (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*' && (nested || depth == 0)) { depth++; i += 2; }
            else if (sql[i] == '*' && i + 1 < sql.Length && sql[i + 1] == '/') { depth--; i += 2; if (depth == 0) return i; }
            else i++;
        }
        return sql.Length;
    }

    // A doubled closing quote is an escaped one; in E'...' a backslash escapes the next character too.
    private static int EndOfQuoted(string sql, int i, char close, bool backslashEscapes)
    {
        i++;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\') { i += 2; continue; }
            if (sql[i] == close)
            {
                if (i + 1 < sql.Length && sql[i + 1] == close) { i += 2; continue; }
                return i + 1;
            }
            i++;
        }
        return sql.Length;
    }

    [GeneratedRegex(@"\G\$([A-Za-z_][A-Za-z_0-9]*)?\$")]
    private static partial Regex DollarTag();
}

/// <summary>Ad-hoc SQL that <see cref="SqlGuard"/> refuses; the command line reports it with exit code 2.</summary>
public sealed class QueryRefusedException(string message) : Exception(message);
