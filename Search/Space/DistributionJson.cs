using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnist.Search.Space;

/// <summary>Conversions between distributions, choice values and Optuna's distribution JSON.</summary>
internal static class DistributionJson
{
    public static ParameterDistribution Parse(string json)
    {
        var node = JsonNode.Parse(WithNamedFloats(json)) as JsonObject ?? throw new FormatException($"not a distribution: {json}");
        var name = (string?)node["name"];
        var a = node["attributes"] as JsonObject ?? throw new FormatException($"distribution without attributes: {json}");
        return name switch
        {
            "IntDistribution" or "IntUniformDistribution" or "IntLogUniformDistribution" => new IntDistribution(
                (long)a["low"]!, (long)a["high"]!, a["step"] is { } s ? (long)s : 1,
                name == "IntLogUniformDistribution" || (a["log"] is { } l && (bool)l)),
            "FloatDistribution" or "UniformDistribution" or "LogUniformDistribution" or "DiscreteUniformDistribution" => new FloatDistribution(
                Number(a["low"]!), Number(a["high"]!),
                name == "LogUniformDistribution" || (a["log"] is { } l2 && (bool)l2),
                a["step"] is { } st ? Number(st) : a["q"] is { } q ? Number(q) : null),
            "CategoricalDistribution" => new CategoricalDistribution(
                ((JsonArray)a["choices"]!).Select(FromNode).ToArray()),
            _ => throw new FormatException($"unknown distribution '{name}'"),
        };
    }

    /// <summary>JSON value to choice: integers become long, other numbers double.</summary>
    public static object? FromNode(JsonNode? n) => n is null ? null : n.GetValueKind() switch
    {
        JsonValueKind.String => (string)n!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        // (object): the conditional's type was double, so every integer choice came back a double.
        JsonValueKind.Number => n.AsValue().TryGetValue<long>(out var l) ? (object)l : (double)n,
        JsonValueKind.Object when NamedFloat(n) is { } d => d,
        _ => throw new FormatException($"unsupported choice {n.ToJsonString()}"),
    };

    // Python's json.dumps (so Optuna's distribution_json) writes non-finite floats as the bare tokens Infinity,
    // -Infinity and NaN, which no JSON reader of .NET accepts (AllowNamedFloatingPointLiterals only reads them
    // quoted, and a quoted "NaN" is a different choice: a string). Outside strings each token becomes a one-key
    // object, a value Optuna never writes there (choices are None, bool, int, float or str; bounds are numbers),
    // so it cannot be mistaken for anything stored.
    private const string NamedFloatKey = "$nonfinite";

    private static readonly (string Token, double Value)[] NamedFloats =
        [("-Infinity", double.NegativeInfinity), ("Infinity", double.PositiveInfinity), ("NaN", double.NaN)];

    private static string WithNamedFloats(string json)
    {
        if (!json.Contains("Infinity", StringComparison.Ordinal) && !json.Contains("NaN", StringComparison.Ordinal)) return json;
        var sb = new StringBuilder(json.Length + 32);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < json.Length) sb.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            var named = NamedFloats.FirstOrDefault(f => string.CompareOrdinal(json, i, f.Token, 0, f.Token.Length) == 0).Token;
            if (named is null)
            {
                sb.Append(c);
                continue;
            }
            sb.Append("{\"").Append(NamedFloatKey).Append("\":\"").Append(named).Append("\"}");
            i += named.Length - 1;
        }
        return sb.ToString();
    }

    private static double? NamedFloat(JsonNode? n) =>
        n is JsonObject { Count: 1 } o && o[NamedFloatKey] is JsonValue v && v.TryGetValue<string>(out var token)
            && NamedFloats.Any(f => f.Token == token)
            ? NamedFloats.First(f => f.Token == token).Value
            : null;

    /// <summary>A bound or step: a JSON number, or one of Python's non-finite tokens.</summary>
    private static double Number(JsonNode n) => NamedFloat(n) ?? (double)n;

    public static JsonNode? ToNode(object? v) => v switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create((long)i),
        double d => Float(d),
        _ => Float(Convert.ToDouble(v, CultureInfo.InvariantCulture)),
    };

    // A whole float keeps its ".0", as Python's json.dumps writes it: written as 1, an Optuna client read the choice
    // 1.0 as the int 1, and so did this reader.
    internal static JsonNode? Float(double d)
    {
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        return double.IsFinite(d) && !text.Contains('.') && !text.Contains('E') ? JsonNode.Parse(text + ".0") : JsonValue.Create(d);
    }

    public static bool ChoiceEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
            return Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture);
        return a.Equals(b);
    }

    private static bool IsNumber(object o) => o is long or int or double or float or decimal;
}
