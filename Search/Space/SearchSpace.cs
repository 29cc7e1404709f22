using Mnist.Protocol.Hyperparameters;

namespace Mnist.Search.Space;

/// <summary>
/// The ordered set of hyperparameters a study searches. Order is the declaration order in
/// <c>search.json</c>; samplers map it to dimensions in this order.
/// <para><see cref="Conditions"/>: when a searched hyperparameter is read only for some values of another searched one
/// (<c>conv3_channels</c> when <c>conv_layers</c> ≥ 3), a trial gets it only when its condition holds for the trial's
/// values, as Optuna's define-by-run leaves out a parameter the objective never suggests: a value that changes nothing
/// is noise to the samplers and earns an importance it does not have.</para>
/// </summary>
public sealed record SearchSpace(IReadOnlyList<KeyValuePair<string, ParameterDistribution>> Parameters)
{
    public int Count => Parameters.Count;

    public ParameterDistribution this[string name] => Parameters.First(p => p.Key == name).Value;

    public IEnumerable<string> Names => Parameters.Select(p => p.Key);

    /// <summary>
    /// Each searched hyperparameter that is read only when another searched one has some values, with that condition
    /// (empty: every parameter is in every trial). The built-in worker's come from its table (<see cref="FromTable"/>);
    /// a custom worker's hyperparameters have none.
    /// </summary>
    public IReadOnlyDictionary<string, UsedWhen> Conditions { get; init; } = new Dictionary<string, UsedWhen>();

    /// <summary>
    /// Internal values given for some parameters of the proposal asked for (an enqueued trial's fixed values): in a
    /// conditional space, <see cref="Active"/> decides which parameters a proposal keeps from its values overlaid with
    /// these, so a given parent (<c>conv_layers</c> 4) keeps the children it reads, each with the sampler's own draw.
    /// Proposing those children in a second call on a subspace reused the first call's random stream: the first child
    /// got the uniform of the parent's low draw (conv2 only in the bottom quarter of its range over 400 proposals), the
    /// next a copy of conv1's (two in three). Empty: none given. Ignored by a space with no condition.
    /// </summary>
    public IReadOnlyDictionary<string, double> Given { get; init; } = new Dictionary<string, double>();

    /// <summary>Whether some parameter is left out of some trials (<see cref="Conditions"/> is not empty).</summary>
    public bool IsConditional => Conditions.Count > 0;

    /// <summary>
    /// This space with the conditions of the worker's table (<see cref="Hyperparameter.Use"/>) between the parameters it
    /// searches: one whose condition's hyperparameter is not searched is read always or never, which the configuration
    /// checks (a fixed or default value), so it is in every trial.
    /// </summary>
    public SearchSpace FromTable()
    {
        var names = Names.ToHashSet(StringComparer.Ordinal);
        return this with
        {
            Conditions = Parameters
                .Select(p => (p.Key, Use: HyperparameterTable.Find(p.Key)?.Use))
                .Where(p => p.Use is { } use && names.Contains(use.Name))
                .ToDictionary(p => p.Key, p => p.Use!, StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// Whether <paramref name="name"/> is active given <paramref name="values"/> (internal values): it has no condition,
    /// or its condition's parameter is active, has a value there, and the condition holds for it. Nested conditions
    /// follow (a parameter of an inactive one is inactive, as define-by-run never reaches it).
    /// </summary>
    public bool IsActive(string name, IReadOnlyDictionary<string, double> values) => IsActive(name, values, depth: 0);

    private bool IsActive(string name, IReadOnlyDictionary<string, double> values, int depth)
    {
        if (!Conditions.TryGetValue(name, out var use)) return true;
        // A cycle (never in the table) would recurse forever: past the space's size, the parameter is taken as inactive.
        if (depth > Count) return false;
        return values.TryGetValue(use.Name, out var parent) && IsActive(use.Name, values, depth + 1)
            && Meets(use, parent);
    }

    /// <summary>
    /// Whether <paramref name="values"/>, which may be partial (an enqueued configuration), already leave
    /// <paramref name="name"/> out: its condition's parameter has a value that does not meet it, or is left out itself.
    /// Unlike <see cref="IsActive"/>, a condition whose parameter has no value yet leaves it open (false).
    /// </summary>
    public bool IsLeftOut(string name, IReadOnlyDictionary<string, double> values) => IsLeftOut(name, values, depth: 0);

    private bool IsLeftOut(string name, IReadOnlyDictionary<string, double> values, int depth)
    {
        if (!Conditions.TryGetValue(name, out var use) || depth > Count) return false;
        return IsLeftOut(use.Name, values, depth + 1)
            || (values.TryGetValue(use.Name, out var parent) && !Meets(use, parent));
    }

    /// <summary>
    /// Whether the parent's internal value <paramref name="parent"/> meets <paramref name="use"/>. One outside the parent's
    /// distribution (a foreign client's categorical index past its choices) meets none: converting it threw
    /// IndexOutOfRange, which failed the gp's proposal, and so the run, for a trial it would have skipped.
    /// </summary>
    private bool Meets(UsedWhen use, double parent) => this[use.Name] is var distribution
        && distribution.Contains(parent) && use.Holds(distribution.ToExternal(parent));

    /// <summary>
    /// The values of the parameters active given <paramref name="values"/> (all of them when the space has no
    /// condition): what a trial stores and the worker receives. In a conditional space, <paramref name="values"/> are
    /// first overlaid with <see cref="Given"/>, whose values the result then has.
    /// </summary>
    public IReadOnlyDictionary<string, double> Active(IReadOnlyDictionary<string, double> values)
    {
        if (!IsConditional) return values;
        var overlaid = WithGiven(values);
        return overlaid.Where(v => IsActive(v.Key, overlaid)).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
    }

    /// <summary><paramref name="values"/> with <see cref="Given"/>'s values in place of theirs.</summary>
    public IReadOnlyDictionary<string, double> WithGiven(IReadOnlyDictionary<string, double> values)
    {
        if (Given.Count == 0) return values;
        var overlaid = new Dictionary<string, double>(values, StringComparer.Ordinal);
        foreach (var (name, value) in Given) overlaid[name] = value;
        return overlaid;
    }

    public bool Equals(SearchSpace? other) =>
        other is not null && Parameters.Count == other.Parameters.Count &&
        Parameters.Zip(other.Parameters).All(p => p.First.Key == p.Second.Key && p.First.Value.Equals(p.Second.Value));

    public override int GetHashCode() => Parameters.Count;
}
