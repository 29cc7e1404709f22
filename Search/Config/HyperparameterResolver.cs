using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Space;

namespace Mnist.Search.Config;

/// <summary>
/// Builds the worker spec's <c>hyperparameters</c> object from the fixed values and one trial's sampled
/// values. Known names get the JSON kind the worker expects (an int hyperparameter is written as an
/// integer even when it was sampled from a float range or stored as a double).
/// </summary>
internal static class HyperparameterResolver
{
    public static JsonObject Resolve(
        IReadOnlyList<KeyValuePair<string, object>> fixedValues,
        SearchSpace space,
        IReadOnlyDictionary<string, object?> sampled)
    {
        var result = new JsonObject();
        foreach (var (name, value) in fixedValues)
            result[name] = ToNode(name, value);
        foreach (var name in space.Names)
        {
            if (!sampled.TryGetValue(name, out var value))
                throw new ArgumentException($"no value was sampled for \"{name}\"", nameof(sampled));
            result[name] = ToNode(name, value);
        }
        foreach (var name in sampled.Keys)
            if (!result.ContainsKey(name))
                throw new ArgumentException($"\"{name}\" is not in the search space", nameof(sampled));
        return result;
    }

    private static JsonNode? ToNode(string name, object? value)
    {
        switch (HyperparameterNames.Find(name)?.Kind)
        {
            case HyperparameterKind.Int when value is double d:
                if (d != Math.Floor(d) || !double.IsFinite(d))
                    throw new ArgumentException($"{name} takes integer values, got {d.ToString(CultureInfo.InvariantCulture)}");
                return JsonValue.Create((long)d);
            case HyperparameterKind.Float when value is long or int:
                return JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            default:
                return DistributionJson.ToNode(value);
        }
    }
}
