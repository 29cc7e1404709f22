using System.Globalization;
using System.Text.Json;
using Mnist.Protocol.Hyperparameters;
using Mnist.Search.Space;

namespace Mnist.Search.Config;

internal static partial class StudyConfigLoader
{
    private static readonly string[] DistributionKeys = ["type", "low", "high", "step", "log", "choices"];
    private static readonly string[] RangeKeys = ["type", "low", "high", "step", "log"];
    private static readonly string[] CategoricalKeys = ["type", "choices"];
    private const long MaxIntWidth = 1L << 53;

    // A stepped float's grid is low + k·step in doubles, and a value is on it when |k − round(k)| < 1e-8 (Optuna's own
    // check, and ParameterDistribution.Contains). Computing low + k·step, then (v − low) / step, errs by about two ulps
    // of the largest |value|, i.e. ~4.4e-16 · max(|low|, |high|) / step steps: at 1e7 that is 4.4e-9, under the
    // tolerance with room; from ~1e8 on, samplers' own proposals were refused mid-study, and past 2^63 the grid index
    // saturated a long (every proposal the same value, or the GP's grid wrapped negative and indexed out of range).
    private const double MaxFloatSteps = 1e7;

    private static SearchSpace ReadSpace(ConfigReader reader, ConfigObject root, bool checkNames)
    {
        var map = reader.Map(root.Required("space"), "$.space");
        if (map.Members.Count == 0)
            throw reader.Error("$.space", "must define at least one parameter to search (constants go in \"fixed\")");
        var parameters = new List<KeyValuePair<string, ParameterDistribution>>();
        foreach (var (name, element) in map.Members)
        {
            var path = map.PathOf(name);
            var spec = checkNames ? KnownSpec(reader, name, path) : null;
            parameters.Add(new(name, ReadDistribution(reader, name, element, path, spec)));
        }
        // The built-in worker's table says which hyperparameter is read only for some values of another: searched beside
        // it, a trial gets it only then. A custom worker's names mean what its program makes of them: no conditions.
        return checkNames ? new SearchSpace(parameters).FromTable() : new SearchSpace(parameters);
    }

    private static IReadOnlyList<KeyValuePair<string, object>> ReadFixed(ConfigReader reader, ConfigObject root, SearchSpace space, bool checkNames)
    {
        if (!root.TryGet("fixed", out var element))
            return [];
        var map = reader.Map(element, "$.fixed");
        var values = new List<KeyValuePair<string, object>>();
        foreach (var (name, valueElement) in map.Members)
        {
            var path = map.PathOf(name);
            if (space.Names.Contains(name))
                throw reader.Error(path, "is also in space; a hyperparameter is either searched or fixed", valueElement);
            var spec = checkNames ? KnownSpec(reader, name, path) : null;
            var value = reader.Scalar(valueElement, path);
            if (spec is not null)
            {
                CheckValue(reader, spec, value, valueElement, path);
                value = spec.Canonical(value);
            }
            values.Add(new(name, value));
        }
        return values;
    }

    // A searched hyperparameter the model never reads (conv3_channels with 2 conv layers, momentum with Adam) spends the
    // budget on a dimension that changes nothing, and the study reports an importance for it; it was accepted silently.
    // A fixed one ("momentum": 0.9 beside "optimizer": "adam") was taken silently too, and read as in effect.
    private static void RefuseUnused(ConfigReader reader, SearchSpace space, IReadOnlyList<KeyValuePair<string, object>> fixedValues)
    {
        var notSearched = HyperparameterTable.Defaults.Where(d => !space.Names.Contains(d.Key)).ToDictionary(d => d.Key, d => d.Value);
        foreach (var (name, value) in fixedValues) notSearched[name] = value;
        foreach (var name in space.Names)
            if (Unused(name) is { } why)
                throw reader.Error(ConfigReader.Child("$.space", name), $"{why}; set {UseOf(name)} in \"fixed\", search it too, or remove {name}");
        foreach (var (name, _) in fixedValues)
            if (Unused(name) is { } why)
                throw reader.Error(ConfigReader.Child("$.fixed", name), $"{why}; set {UseOf(name)} so that it is, or remove {name}");

        static string UseOf(string name) => HyperparameterTable.Find(name)!.Use!.Name;

        // Why the model never reads `name` with the value its condition's hyperparameter has (fixed or default); null
        // when it does, or when that hyperparameter is searched (some trials read it).
        string? Unused(string name)
        {
            if (HyperparameterTable.IsRead(name, notSearched)) return null;
            var use = HyperparameterTable.Get(name).Use!;
            var value = notSearched[use.Name];
            var isFixed = fixedValues.Any(f => f.Key == use.Name);
            var shown = value is string text ? $"\"{text}\"" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            return $"{name} is not used by the model: it is read only when {use}, and {use.Name} is {shown}{(isFixed ? " in \"fixed\"" : " (the default)")}";
        }
    }

    private static Hyperparameter KnownSpec(ConfigReader reader, string name, string path) =>
        HyperparameterTable.Find(name)
        ?? throw reader.Error(path, $"unknown hyperparameter \"{name}\" (known: {HyperparameterTable.Listing})");

    private static ParameterDistribution ReadDistribution(ConfigReader reader, string name, JsonElement element, string path, Hyperparameter? spec)
    {
        var probe = reader.Object(element, path, DistributionKeys);
        var typePath = ConfigReader.Child(path, "type");
        var typeElement = probe.Required("type");
        var type = reader.OneOf(typeElement, typePath, "int", "float", "categorical");

        if (type == "categorical")
            return ReadCategorical(reader, name, reader.Object(element, path, CategoricalKeys), spec);

        var o = reader.Object(element, path, RangeKeys);
        switch (spec?.Kind)
        {
            case HyperparameterKind.Bool or HyperparameterKind.String:
                throw reader.Error(typePath, $"{name} takes {KindName(spec.Kind)} values ({spec.AllowedValues}); use type \"categorical\"", typeElement);
            case HyperparameterKind.Int when type == "float":
                throw reader.Error(typePath, $"{name} takes integer values ({spec.AllowedValues}); use type \"int\"", typeElement);
        }

        var log = o.Bool("log", false);
        // An int range's step 1 is every integer, what log spaces anyway: Optuna's IntDistribution takes log with step 1.
        if (log && TryGetStep(o, out var stepWithLog) && !(type == "int" && stepWithLog.ValueKind == JsonValueKind.Number && stepWithLog.TryGetDouble(out var one) && one == 1))
            throw reader.Error(o.PathOf("step"), "step cannot be combined with log", stepWithLog);

        return type == "int" ? ReadIntRange(reader, name, o, log, spec) : ReadFloatRange(reader, name, o, log, spec);
    }

    /// <summary>
    /// The range's step, when it has one: <c>"step": null</c> is none, as Optuna's own JSON of a distribution writes a
    /// range without one (it was refused, "step cannot be combined with log, got null").
    /// </summary>
    private static bool TryGetStep(ConfigObject o, out JsonElement step) =>
        o.TryGet("step", out step) && step.ValueKind != JsonValueKind.Null;

    private static IntDistribution ReadIntRange(ConfigReader reader, string name, ConfigObject o, bool log, Hyperparameter? spec)
    {
        var lowElement = o.Required("low");
        var highElement = o.Required("high");
        var low = reader.Long(lowElement, o.PathOf("low"));
        var high = reader.Long(highElement, o.PathOf("high"));
        var step = 1L;
        if (TryGetStep(o, out var stepElement))
        {
            step = reader.Long(stepElement, o.PathOf("step"));
            if (step < 1) throw reader.Error(o.PathOf("step"), "must be at least 1", stepElement);
        }
        CheckRange(reader, o, low, high, log, spec);
        // Samplers work on doubles: past 2^53 neighbouring integers are one value, and high - low overflowed a long
        // (every proposal was the same number, or the GP failed on an index out of range).
        if ((System.Numerics.BigInteger)high - low > MaxIntWidth)
            throw reader.Error(o.PathOf("high"), $"high - low must be at most 2^53 ({MaxIntWidth})", highElement);
        if ((high - low) % step != 0)
            throw reader.Error(o.PathOf("high"), $"high - low must be a multiple of step ({step})", highElement);
        // Every value low, low + step, ... must be odd: an odd low and an even step.
        if (spec is { OddOnly: true } && step % 2 != 0)
            throw reader.Error(TryGetStep(o, out var s) ? o.PathOf("step") : o.PathOf("low"),
                $"{spec.Name} takes odd values only ({spec.AllowedValues}): use an odd low and \"step\": 2", s.ValueKind == JsonValueKind.Undefined ? lowElement : s);
        return new IntDistribution(low, high, step, log);
    }

    private static FloatDistribution ReadFloatRange(ConfigReader reader, string name, ConfigObject o, bool log, Hyperparameter? spec)
    {
        var low = reader.Number(o.Required("low"), o.PathOf("low"));
        var highElement = o.Required("high");
        var high = reader.Number(highElement, o.PathOf("high"));
        double? step = null;
        if (TryGetStep(o, out var stepElement))
        {
            step = reader.Number(stepElement, o.PathOf("step"));
            if (step <= 0) throw reader.Error(o.PathOf("step"), "must be greater than 0", stepElement);
        }
        CheckRange(reader, o, low, high, log, spec);
        // A width that overflows a double left nothing to sample between the ends (every proposal was high, or the GP failed).
        if (!double.IsFinite(high - low))
            throw reader.Error(o.PathOf("high"), "high - low must be a finite number", highElement);
        if (step is { } s)
        {
            var steps = (high - low) / s;
            if (!double.IsFinite(steps) || steps > MaxFloatSteps)
                throw reader.Error(o.PathOf("step"),
                    $"{ConfigReader.Show(stepElement)} makes {(double.IsFinite(steps) ? (steps + 1).ToString("0.##e0", CultureInfo.InvariantCulture) : "infinitely many")} values (at most 1e7); use a larger step or no step");
            var largest = Math.Max(Math.Abs(low), Math.Abs(high));
            if (largest / s > MaxFloatSteps)
                throw reader.Error(o.PathOf("step"),
                    $"{ConfigReader.Show(stepElement)} is finer than doubles near {largest.ToString(CultureInfo.InvariantCulture)} can hold on a grid (at least {(largest / MaxFloatSteps).ToString("G3", CultureInfo.InvariantCulture)}); use a larger step or no step");
            if (Math.Abs(steps - Math.Round(steps)) > 1e-8 * Math.Max(1, steps))
                throw reader.Error(o.PathOf("high"), $"high - low must be a multiple of step ({s})", highElement);
        }
        return new FloatDistribution(low, high, log, step);
    }

    private static void CheckRange(ConfigReader reader, ConfigObject o, double low, double high, bool log, Hyperparameter? spec)
    {
        var lowElement = o.Required("low");
        if (low >= high)
            throw reader.Error(o.PathOf("low"),
                low == high
                    ? "range is empty: low must be less than high (put a constant in \"fixed\")"
                    : $"low must be less than high ({ConfigReader.Show(o.Required("high"))})",
                lowElement);
        if (log && low <= 0)
            throw reader.Error(o.PathOf("low"), "must be greater than 0 when log is true", lowElement);
        // The ends are the extremes a sampler can propose; the table's range is closed, so both must pass.
        if (spec?.Refusal(low) is not null)
            throw reader.Error(o.PathOf("low"), $"{spec.Name} must be {spec.AllowedValues}", lowElement);
        if (spec?.Refusal(high) is not null)
            throw reader.Error(o.PathOf("high"), $"{spec.Name} must be {spec.AllowedValues}", o.Required("high"));
    }

    private static CategoricalDistribution ReadCategorical(ConfigReader reader, string name, ConfigObject o, Hyperparameter? spec)
    {
        var choicesPath = o.PathOf("choices");
        var choices = o.Required("choices");
        if (choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            throw reader.Error(choicesPath, "expected a non-empty list of values", choices);
        var values = new List<object?>();
        var index = 0;
        foreach (var item in choices.EnumerateArray())
        {
            var itemPath = $"{choicesPath}[{index}]";
            var value = reader.Scalar(item, itemPath);
            var duplicate = values.FindIndex(v => DistributionJson.ChoiceEquals(v, value));
            if (duplicate >= 0)
                throw reader.Error(itemPath, $"duplicate of {choicesPath}[{duplicate}]", item);
            if (spec is not null) CheckValue(reader, spec, value, item, itemPath);
            values.Add(value);
            index++;
        }
        return new CategoricalDistribution(values);
    }

    /// <summary>Checks a fixed value or a choice against what the worker accepts (the same check the worker makes).</summary>
    private static void CheckValue(ConfigReader reader, Hyperparameter spec, object value, JsonElement element, string path)
    {
        if (spec.Refusal(value) is { } refusal)
            throw reader.Error(path, $"{spec.Name} {refusal}", element);
    }

    private static string KindName(HyperparameterKind kind) => kind switch
    {
        HyperparameterKind.Int => "integer",
        HyperparameterKind.Float => "number",
        HyperparameterKind.Bool => "boolean",
        _ => "string",
    };
}
