namespace Mnist.Search.Space;

/// <summary>
/// The ordered set of hyperparameters a study searches. Order is the declaration order in
/// <c>search.json</c>; samplers map it to dimensions in this order.
/// </summary>
public sealed record SearchSpace(IReadOnlyList<KeyValuePair<string, ParameterDistribution>> Parameters)
{
    public int Count => Parameters.Count;

    public ParameterDistribution this[string name] => Parameters.First(p => p.Key == name).Value;

    public IEnumerable<string> Names => Parameters.Select(p => p.Key);

    public bool Equals(SearchSpace? other) =>
        other is not null && Parameters.Count == other.Parameters.Count &&
        Parameters.Zip(other.Parameters).All(p => p.First.Key == p.Second.Key && p.First.Value.Equals(p.Second.Value));

    public override int GetHashCode() => Parameters.Count;
}
