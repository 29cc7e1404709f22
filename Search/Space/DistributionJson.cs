using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnist.Search.Space;

/// <summary>Conversions between distributions, choice values and Optuna's distribution JSON.</summary>
internal static class DistributionJson
{
    public static ParameterDistribution Parse(string json)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new FormatException($"not a distribution: {json}");
        var name = (string?)node["name"];
        var a = node["attributes"] as JsonObject ?? throw new FormatException($"distribution without attributes: {json}");
        return name switch
        {
            "IntDistribution" or "IntUniformDistribution" or "IntLogUniformDistribution" => new IntDistribution(
                (long)a["low"]!, (long)a["high"]!, a["step"] is { } s ? (long)s : 1,
                name == "IntLogUniformDistribution" || (a["log"] is { } l && (bool)l)),
            "FloatDistribution" or "UniformDistribution" or "LogUniformDistribution" or "DiscreteUniformDistribution" => new FloatDistribution(
                (double)a["low"]!, (double)a["high"]!,
                name == "LogUniformDistribution" || (a["log"] is { } l2 && (bool)l2),
                a["step"] is { } st ? (double)st : a["q"] is { } q ? (double)q : null),
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
        JsonValueKind.Number => n.AsValue().TryGetValue<long>(out var l) ? l : (double)n,
        _ => throw new FormatException($"unsupported choice {n.ToJsonString()}"),
    };

    public static JsonNode? ToNode(object? v) => v switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create((long)i),
        double d => JsonValue.Create(d),
        _ => JsonValue.Create(Convert.ToDouble(v, CultureInfo.InvariantCulture)),
    };

    public static bool ChoiceEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
            return Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture);
        return a.Equals(b);
    }

    private static bool IsNumber(object o) => o is long or int or double or float or decimal;
}
