using System.Data.Common;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Mnist.Search.Storage;

/// <summary>
/// How <see cref="ReadOnlyQuery"/> reads one value of a result row: as SQLite holds Optuna's (dates and times as text),
/// and, where the driver has no .NET value for it, one line naming the column and its type instead of a crash.
/// </summary>
internal static class QueryValues
{
    /// <summary>
    /// The value of column <paramref name="i"/> (named <paramref name="column"/>) of the current row, or null. Throws
    /// <see cref="QueryRefusedException"/> naming the column and its type for a value the driver cannot read.
    /// </summary>
    public static object? Read(DbDataReader reader, int i, string column)
    {
        if (reader.IsDBNull(i)) return null;
        try
        {
            // Npgsql reads an interval as TimeSpan, which has no months: `INTERVAL '1 month'` or age(...) threw an
            // InvalidCastException that ended trials sql in a stack trace (and '-1 month 2 days' lost its month
            // silently). NpgsqlInterval keeps months, days and time apart, as PostgreSQL does.
            if (reader is NpgsqlDataReader npgsql && npgsql.GetDataTypeName(i) == "interval")
                return Interval(npgsql.GetFieldValue<NpgsqlInterval>(i));
            return reader.GetValue(i) switch
            {
                // A record (ROW(...)) comes as object[], an array (array_agg) as int[], string[] …: they printed as
                // "System.Object[]", "System.Int32[]". As PostgreSQL's own text of them: (1,abc), {1,2,3}.
                object[] fields when reader.GetDataTypeName(i) == "record" => Composite.Record(fields, AsSqliteShowsIt),
                Array array and not byte[] => Composite.Array(array, AsSqliteShowsIt),
                var value => AsSqliteShowsIt(value),
            };
        }
        catch (Exception e) when (e is not DbException and not OperationCanceledException)
        {
            // A value with no .NET form (a numeric of 100 digits or NaN, a date past the year 9999, an array holding
            // NULL, txid_snapshot, regclass) threw InvalidCastException, OverflowException or ArgumentOutOfRangeException
            // from the driver, printed as a stack trace. PostgreSQL's own text of any value can be asked for.
            var type = reader.GetDataTypeName(i);
            throw new QueryRefusedException(
                $"query failed: column '{column}' of type {type} cannot be read ({e.Message.Split('\n')[0].Trim()}); select it as text instead, e.g. CAST(... AS TEXT)");
        }
    }

    // Npgsql hands PostgreSQL's timestamps back as DateTime, which the table and csv printed as "12/06/2026 18:58:38"
    // (month first, whole seconds) and json as "2026-12-06T18:58:38.5231920", where SQLite hands back the text Optuna
    // stores, "2026-12-06 18:58:38.523192". Dates and times are that text on both (timestamptz, which Npgsql reads as
    // UTC, and timetz with their offset); PostgreSQL's 'infinity' is not printed as a date in the year 9999 (a date's
    // 'infinity' printed 9999-12-31).
    private static object AsSqliteShowsIt(object value) => value switch
    {
        DateTime t when t == DateTime.MaxValue => "infinity",
        DateTime t when t == DateTime.MinValue => "-infinity",
        DateTime { Kind: DateTimeKind.Utc } t => new DateTimeOffset(t).ToString(RelationalStudyStorage.TimeFormat + "zzz", CultureInfo.InvariantCulture),
        DateTime t => t.ToString(RelationalStudyStorage.TimeFormat, CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture),
        DateOnly d when d == DateOnly.MaxValue => "infinity",
        DateOnly d when d == DateOnly.MinValue => "-infinity",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        _ => value,
    };

    private const long MicrosecondsPerDay = 86_400_000_000;

    /// <summary>
    /// An interval as <c>[N mon ][-][d.]hh:mm:ss.ffffff</c>: <c>1.02:00:00.500000</c>, <c>1 mon 2.03:04:05.000000</c>.
    /// </summary>
    /// <remarks>
    /// Days and time print as every interval without months printed before (the days folded into the time, as Npgsql's
    /// TimeSpan did), so those are unchanged. A month has no fixed number of days (PostgreSQL keeps it apart and
    /// <c>age()</c> counts in it), so months cannot be folded into days: they lead as <c>N mon</c>, PostgreSQL's own
    /// word (always singular, one form to parse; PostgreSQL reads it back), with their own sign, as PostgreSQL keeps it.
    /// Years are months to PostgreSQL (<c>INTERVAL '1 year'</c> is <c>12 mon</c>).
    /// </remarks>
    internal static string Interval(NpgsqlInterval interval)
    {
        // Int128: 2^31 days in microseconds overflow a long (and a TimeSpan).
        var total = (Int128)interval.Days * MicrosecondsPerDay + interval.Time;
        var sign = total < 0 ? "-" : "";
        var magnitude = Int128.Abs(total);
        var days = magnitude / MicrosecondsPerDay;
        var rest = (long)(magnitude % MicrosecondsPerDay);
        var time = string.Create(CultureInfo.InvariantCulture,
            $"{sign}{(days != 0 ? days + "." : "")}{rest / 3_600_000_000:00}:{rest / 60_000_000 % 60:00}:{rest / 1_000_000 % 60:00}.{rest % 1_000_000:000000}");
        return interval.Months == 0 ? time : string.Create(CultureInfo.InvariantCulture, $"{interval.Months} mon {time}");
    }
}
