using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Storage;

/// <summary>Compares snapshots by content (records compare their dictionaries by reference).</summary>
internal sealed class SnapshotComparer : IEqualityComparer<TrialSnapshot>
{
    public bool Equals(TrialSnapshot? x, TrialSnapshot? y) =>
        x is not null && y is not null &&
        (x.Id, x.Number, x.State, x.Value, x.DatetimeStart, x.DatetimeComplete) == (y.Id, y.Number, y.State, y.Value, y.DatetimeStart, y.DatetimeComplete) &&
        Same(x.Params, y.Params) && Same(x.Distributions, y.Distributions) && Same(x.IntermediateValues, y.IntermediateValues) &&
        Same(x.UserAttrs, y.UserAttrs) && Same(x.SystemAttrs, y.SystemAttrs);

    public int GetHashCode(TrialSnapshot obj) => obj.Id.GetHashCode();

    private static bool Same<TK, TV>(IReadOnlyDictionary<TK, TV> a, IReadOnlyDictionary<TK, TV> b) where TK : notnull =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && EqualityComparer<TV>.Default.Equals(kv.Value, v));
}
