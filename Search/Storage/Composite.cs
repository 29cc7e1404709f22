using System.Globalization;
using System.Text;

namespace Mnist.Search.Storage;

/// <summary>
/// PostgreSQL's text of an array (<c>{1,2,NULL}</c>, <c>{{1,2},{3,4}}</c>) or a record (<c>(1,abc,)</c>), from the .NET
/// values Npgsql reads them as: what <c>psql</c> prints, and what PostgreSQL reads back.
/// </summary>
internal static class Composite
{
    /// <summary>An array of any rank: its elements' text, quoted where PostgreSQL quotes them.</summary>
    public static string Array(System.Array array, Func<object, object> element)
    {
        var text = new StringBuilder();
        Append(text, array, new int[array.Rank], 0, element);
        return text.ToString();
    }

    /// <summary>A record: its fields' text, quoted where PostgreSQL quotes them; NULL is nothing between commas.</summary>
    public static string Record(object[] fields, Func<object, object> element) =>
        "(" + string.Join(',', fields.Select(f => f is null or DBNull ? "" : Quote(Text(f, element), QuotesInRecord, quoteEmpty: true))) + ")";

    private const string QuotesInArray = "{},\"\\";
    private const string QuotesInRecord = "(),\"\\";

    private static void Append(StringBuilder text, System.Array array, int[] index, int dimension, Func<object, object> element)
    {
        text.Append('{');
        for (var i = 0; i < array.GetLength(dimension); i++)
        {
            if (i > 0) text.Append(',');
            index[dimension] = i;
            if (dimension < array.Rank - 1) Append(text, array, index, dimension + 1, element);
            else text.Append(array.GetValue(index) is { } value and not DBNull ? Quote(Text(value, element), QuotesInArray, quoteEmpty: true, nullWord: true) : "NULL");
        }
        text.Append('}');
    }

    private static string Text(object value, Func<object, object> element) => element(value) switch
    {
        bool b => b ? "t" : "f",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? "",
    };

    private static string Quote(string text, string special, bool quoteEmpty, bool nullWord = false)
    {
        var quote = (quoteEmpty && text.Length == 0) || text.Any(c => char.IsWhiteSpace(c) || special.Contains(c))
                    || (nullWord && text.Equals("NULL", StringComparison.OrdinalIgnoreCase));
        return quote ? "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"" : text;
    }
}
