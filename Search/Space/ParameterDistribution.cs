using System.Text.Json.Nodes;

namespace Mnist.Search.Space;

/// <summary>
/// The range of one hyperparameter, in Optuna's terms (<c>IntDistribution</c>, <c>FloatDistribution</c>,
/// <c>CategoricalDistribution</c>). Values have an internal representation (a double: the number
/// itself, or a categorical's index) used by storage and samplers, and an external one shown to users
/// and sent to the worker.
/// </summary>
public abstract record ParameterDistribution
{
    /// <summary>Internal representation (as stored in <c>trial_params.param_value</c>) to user value.</summary>
    public abstract object? ToExternal(double internalValue);

    /// <summary>User value to internal representation. Throws <see cref="ArgumentException"/> when out of range.</summary>
    public abstract double ToInternal(object? externalValue);

    /// <summary>True when <paramref name="internalValue"/> lies in the distribution.</summary>
    public abstract bool Contains(double internalValue);

    /// <summary>Optuna's JSON form: <c>{"name": "IntDistribution", "attributes": {...}}</c>.</summary>
    public abstract JsonObject ToOptunaJson();

    /// <summary>Parses Optuna's JSON form (as written by <see cref="ToOptunaJson"/> or by Optuna itself).</summary>
    public static ParameterDistribution FromOptunaJson(string json) => DistributionJson.Parse(json);
}

/// <summary>Integers in [Low, High] with a step; sampled in log space when <see cref="Log"/>.</summary>
public sealed record IntDistribution(long Low, long High, long Step = 1, bool Log = false) : ParameterDistribution
{
    public override object? ToExternal(double internalValue) => (long)Math.Round(internalValue);
    public override double ToInternal(object? externalValue) => Convert.ToDouble(externalValue, System.Globalization.CultureInfo.InvariantCulture);
    public override bool Contains(double v) => v >= Low && v <= High && Math.Abs((v - Low) % Step) < 1e-9;
    public override JsonObject ToOptunaJson() => new()
    {
        ["name"] = "IntDistribution",
        ["attributes"] = new JsonObject { ["log"] = Log, ["step"] = Step, ["low"] = Low, ["high"] = High },
    };
}

/// <summary>Reals in [Low, High]; optional Step (never with Log); sampled in log space when <see cref="Log"/>.</summary>
public sealed record FloatDistribution(double Low, double High, bool Log = false, double? Step = null) : ParameterDistribution
{
    public override object? ToExternal(double internalValue) => internalValue;
    public override double ToInternal(object? externalValue) => Convert.ToDouble(externalValue, System.Globalization.CultureInfo.InvariantCulture);
    // On the step's grid as Optuna's own check has it (|k - round(k)| < 1e-8): without it `study enqueue` queued an
    // off-grid value (0.15 with step 0.1) that no sampler of the study could propose and Optuna rejects.
    public override bool Contains(double v) =>
        v >= Low && v <= High && (Step is not { } step || Math.Abs((v - Low) / step - Math.Round((v - Low) / step)) < 1e-8);
    public override JsonObject ToOptunaJson() => new()
    {
        ["name"] = "FloatDistribution",
        ["attributes"] = new JsonObject { ["step"] = Step, ["low"] = Low, ["high"] = High, ["log"] = Log },
    };
}

/// <summary>
/// One of a fixed list of choices (numbers, strings, booleans or null). The internal
/// representation is the choice's index.
/// </summary>
public sealed record CategoricalDistribution(IReadOnlyList<object?> Choices) : ParameterDistribution
{
    public override object? ToExternal(double internalValue) => Choices[(int)Math.Round(internalValue)];

    public override double ToInternal(object? externalValue)
    {
        for (var i = 0; i < Choices.Count; i++)
            if (DistributionJson.ChoiceEquals(Choices[i], externalValue)) return i;
        throw new ArgumentException($"{externalValue} is not one of the choices");
    }

    public override bool Contains(double v) => v >= 0 && v < Choices.Count && v == Math.Floor(v);

    public override JsonObject ToOptunaJson() => new()
    {
        ["name"] = "CategoricalDistribution",
        ["attributes"] = new JsonObject { ["choices"] = new JsonArray(Choices.Select(DistributionJson.ToNode).ToArray()) },
    };

    // Records compare lists by reference; two spaces are equal when their choices are.
    public bool Equals(CategoricalDistribution? other) =>
        other is not null && Choices.Count == other.Choices.Count &&
        Choices.Zip(other.Choices).All(p => DistributionJson.ChoiceEquals(p.First, p.Second));

    public override int GetHashCode() => Choices.Count;
}
