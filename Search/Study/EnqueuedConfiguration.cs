using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Study;

/// <summary>
/// A configuration queued to run before the sampler's next proposals (Optuna's <c>enqueue_trial</c>; here
/// <c>study enqueue</c>): a WAITING trial with the system attribute <see cref="StudyAttributes.FixedParams"/>,
/// <c>{name: user-facing value}</c> for some or all of the searched hyperparameters, and no parameters yet. When a
/// coordinator claims it, the given values are used as they are and the sampler proposes the rest, as Optuna does.
/// </summary>
public static class EnqueuedConfiguration
{
    /// <summary>
    /// The fixed values as internal values of <paramref name="space"/>. Throws <see cref="ArgumentException"/> naming
    /// the first hyperparameter that is not searched, or whose value is not one its distribution allows.
    /// </summary>
    public static IReadOnlyDictionary<string, double> ToInternal(SearchSpace space, IReadOnlyDictionary<string, object?> values)
    {
        var result = new Dictionary<string, double>();
        foreach (var (name, value) in values)
        {
            if (!space.Names.Contains(name))
                throw new ArgumentException($"{name}: not a searched hyperparameter (searched: {string.Join(", ", space.Names)})");
            var distribution = space[name];
            double v;
            try { v = distribution.ToInternal(value); }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                throw new ArgumentException($"{name}: {Show(value)} is not {Allowed(distribution)}");
            }
            if (distribution is not CategoricalDistribution && value is not (long or int or double) || !distribution.Contains(v))
                throw new ArgumentException($"{name}: {Show(value)} is not {Allowed(distribution)}");
            result[name] = v;
        }
        return result;
    }

    /// <summary>
    /// The parameters <paramref name="trial"/> lacks and is to have: its fixed values, else the sampler's
    /// <paramref name="proposal"/> (internal values of the parameters active given the proposal). In a conditional space
    /// only those active given the trial's, the fixed and the proposed values together, as define-by-run suggests them:
    /// a fixed value of one left out is dropped (Optuna ignores a fixed parameter its objective never suggests).
    /// Throws <see cref="KeyNotFoundException"/> for an active one no value was given for: the proposal is to be made
    /// with the given values (<see cref="Given"/>), so that it has every child a given parent reads.
    /// </summary>
    public static IReadOnlyDictionary<string, (ParameterDistribution Distribution, double Value)> Completion(
        SearchSpace space, TrialSnapshot trial, IReadOnlyDictionary<string, double> fixedValues, IReadOnlyDictionary<string, double> proposal)
    {
        var merged = Merged(trial, fixedValues, proposal);
        return space.Parameters.Where(p => !trial.Params.ContainsKey(p.Key) && (!space.IsConditional || space.IsActive(p.Key, merged)))
            .ToDictionary(p => p.Key, p => (p.Value, fixedValues.TryGetValue(p.Key, out var v) ? v : proposal[p.Key]));
    }

    /// <summary>
    /// The internal values a proposal for <paramref name="trial"/> is given (<see cref="SearchSpace.Given"/>): its fixed
    /// values and any parameters it already has.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Given(TrialSnapshot trial, IReadOnlyDictionary<string, double> fixedValues) =>
        Merged(trial, fixedValues, new Dictionary<string, double>());

    /// <summary>
    /// The given hyperparameters that the given values leave out (<c>conv3_channels</c> with <c>conv_layers</c> 1): the
    /// model would never read them.
    /// </summary>
    public static IReadOnlyList<string> LeftOut(SearchSpace space, IReadOnlyDictionary<string, double> values) =>
        [.. values.Keys.Where(n => space.IsLeftOut(n, values))];

    private static Dictionary<string, double> Merged(
        TrialSnapshot trial, IReadOnlyDictionary<string, double> fixedValues, IReadOnlyDictionary<string, double> proposal)
    {
        var merged = new Dictionary<string, double>(proposal, StringComparer.Ordinal);
        foreach (var (name, value) in fixedValues) merged[name] = value;
        foreach (var (name, value) in trial.Params) merged[name] = value;
        return merged;
    }

    /// <summary>
    /// The searched hyperparameters <paramref name="trial"/> has no value for (none for a sampled trial or a retry); in a
    /// conditional space, not those its values leave out (a sampled trial with 1 conv layer lacks conv2..conv4).
    /// </summary>
    public static IReadOnlyList<string> Missing(SearchSpace space, TrialSnapshot trial) =>
        [.. space.Names.Where(n => !trial.Params.ContainsKey(n) && !space.IsLeftOut(n, trial.Params))];

    /// <summary>
    /// The first of <paramref name="trials"/> whose configuration is <paramref name="values"/> (user-facing values), by
    /// Optuna 4's <c>enqueue_trial(skip_if_exists=True)</c> rule: its <c>fixed_params</c> when it has them (in any
    /// state), else its parameters, with the same names, and numbers within a relative 1e-5 (<c>np.isclose</c>).
    /// Null when none is.
    /// </summary>
    public static TrialSnapshot? SameAs(IReadOnlyList<TrialSnapshot> trials, IReadOnlyDictionary<string, object?> values)
    {
        foreach (var trial in trials)
        {
            IReadOnlyDictionary<string, object?> has;
            try { has = trial.SystemAttrs.ContainsKey(StudyAttributes.FixedParams) ? Read(trial) : trial.Params.Keys.ToDictionary(k => k, trial.ExternalParam); }
            catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException) { continue; }
            if (IsSame(has, values)) return trial;
        }
        return null;
    }

    /// <summary>Whether two configurations are one by <see cref="SameAs"/>'s rule.</summary>
    public static bool IsSame(IReadOnlyDictionary<string, object?> a, IReadOnlyDictionary<string, object?> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && SameValue(p.Value, v));

    private static bool SameValue(object? a, object? b) => (a, b) switch
    {
        (long or int or double, long or int or double) => Close(Convert.ToDouble(a, CultureInfo.InvariantCulture), Convert.ToDouble(b, CultureInfo.InvariantCulture)),
        _ => Equals(a, b),
    };

    // numpy.isclose(a, b, atol=0): |a - b| <= 1e-5 |b|; NaN is the same as anything, as Optuna's check has it.
    private static bool Close(double a, double b) => double.IsNaN(a) || Math.Abs(a - b) <= 1e-5 * Math.Abs(b);

    /// <summary>Why <paramref name="space"/> does not allow <paramref name="value"/> for <paramref name="name"/>; null when it does.</summary>
    public static string? Refusal(SearchSpace space, string name, object? value)
    {
        try
        {
            ToInternal(space, new Dictionary<string, object?> { [name] = value });
            return null;
        }
        catch (ArgumentException e) { return e.Message; }
    }

    /// <summary>The trial's fixed values as stored (Optuna's JSON object); none when it has no such attribute.</summary>
    public static IReadOnlyDictionary<string, object?> Read(TrialSnapshot trial)
    {
        if (!trial.SystemAttrs.TryGetValue(StudyAttributes.FixedParams, out var json)) return new Dictionary<string, object?>();
        var node = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException($"{StudyAttributes.FixedParams} is not a JSON object: {json}");
        return node.ToDictionary(p => p.Key, p => DistributionJson.FromNode(p.Value));
    }

    /// <summary>The attribute's value for <paramref name="values"/>, as Optuna writes it.</summary>
    public static JsonObject ToAttribute(IReadOnlyDictionary<string, object?> values) =>
        new(values.Select(v => KeyValuePair.Create(v.Key, DistributionJson.ToNode(v.Value))));

    private static string Allowed(ParameterDistribution distribution) => distribution switch
    {
        IntDistribution i => $"an integer in [{i.Low}, {i.High}]{(i.Step != 1 ? $" in steps of {i.Step}" : "")}",
        FloatDistribution f => $"a number in [{f.Low.ToString(CultureInfo.InvariantCulture)}, {f.High.ToString(CultureInfo.InvariantCulture)}]"
            + (f.Step is { } step ? $" in steps of {step.ToString(CultureInfo.InvariantCulture)}" : ""),
        CategoricalDistribution c => $"one of {string.Join(", ", c.Choices.Select(Show))}",
        _ => distribution.ToOptunaJson().ToJsonString(),
    };

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
