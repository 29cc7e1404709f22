using System.Globalization;
using System.Text.Json;

namespace Mnist.Protocol.Hyperparameters;

/// <summary>
/// One row of the hyperparameter table: what a worker hyperparameter is called, which values it takes
/// and what it means. The coordinator's config validation and the worker's spec validation both ask
/// <see cref="Refusal"/>, so they accept exactly the same values.
/// </summary>
/// <param name="Min">Smallest accepted value (numbers only; closed range).</param>
/// <param name="Max">Largest accepted value (numbers only; closed range).</param>
/// <param name="Allowed">The accepted strings (strings only), compared exactly.</param>
/// <param name="OddOnly">Integers only: even values are refused.</param>
/// <param name="Use">When the model reads it (null: always).</param>
public sealed record Hyperparameter(
    string Name,
    HyperparameterKind Kind,
    object Default,
    string Description,
    double? Min = null,
    double? Max = null,
    IReadOnlyList<string>? Allowed = null,
    bool OddOnly = false,
    UsedWhen? Use = null)
{
    /// <summary>The meaning as the docs tables show it, with when it is used.</summary>
    public string Meaning => Use is null ? Description : $"{Description} (used when {Use})";

    /// <summary>
    /// Why <paramref name="value"/> is not accepted (e.g. <c>must be an integer in 1..1024</c>), or null
    /// when it is. <paramref name="value"/> is a plain value: long, int, double, bool or string.
    /// Integral doubles count as integers, as samplers often produce them.
    /// </summary>
    public string? Refusal(object? value)
    {
        var ok = Kind switch
        {
            HyperparameterKind.Int => AsNumber(value) is { } x && x == Math.Floor(x) && InRange(x) && (!OddOnly || Math.Abs(x % 2) == 1),
            HyperparameterKind.Float => AsNumber(value) is { } x && InRange(x),
            HyperparameterKind.Bool => value is bool,
            _ => value is string s && (Allowed is null || Allowed.Contains(s, StringComparer.Ordinal)),
        };
        return ok ? null : "must be " + AllowedValues;
    }

    /// <summary>The value in its canonical form: long for integers, double for floats; others unchanged.</summary>
    public object Canonical(object value) => Kind switch
    {
        HyperparameterKind.Int when AsNumber(value) is { } x => (long)x,
        HyperparameterKind.Float when AsNumber(value) is { } x => x,
        _ => value,
    };

    /// <summary>What is accepted, as a phrase: <c>an odd integer in 1..7</c>, <c>a number in [0, 0.95]</c>, <c>one of "adam", "sgd"</c>.</summary>
    public string AllowedValues => Kind switch
    {
        HyperparameterKind.Int => $"{(OddOnly ? "an odd integer" : "an integer")} in {Show(Min)}..{Show(Max)}",
        HyperparameterKind.Float => $"a number in [{Show(Min)}, {Show(Max)}]",
        HyperparameterKind.Bool => "true or false",
        _ => "one of " + string.Join(", ", (Allowed ?? []).Select(a => $"\"{a}\"")),
    };

    /// <summary>The accepted values as the docs tables show them: <c>odd, 1..7</c>, <c>0..0.95</c>, <c>`adam` \| `sgd`</c>.</summary>
    public string ValuesCell => Kind switch
    {
        HyperparameterKind.Int or HyperparameterKind.Float => $"{(OddOnly ? "odd, " : "")}{Show(Min)}..{Show(Max)}",
        HyperparameterKind.Bool => "bool",
        _ => string.Join(@" \| ", (Allowed ?? []).Select(a => $"`{a}`")),
    };

    /// <summary>The default as JSON text (<c>32</c>, <c>0.25</c>, <c>true</c>, <c>"adam"</c>).</summary>
    public string DefaultJson => Default switch
    {
        double d => d.ToString("0.0###########", CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(Default),
    };

    private bool InRange(double x) => double.IsFinite(x) && (Min is not { } min || x >= min) && (Max is not { } max || x <= max);

    private static double? AsNumber(object? value) => value switch
    {
        long l => l,
        int i => i,
        double d => d,
        float f => f,
        decimal m => (double)m,
        _ => null,
    };

    // 1e-12, not .NET's 1E-12: the way JSON and Python write it.
    private static string Show(double? x) =>
        x?.ToString(CultureInfo.InvariantCulture).Replace("E-0", "e-", StringComparison.Ordinal).Replace("E", "e", StringComparison.Ordinal) ?? "";
}
