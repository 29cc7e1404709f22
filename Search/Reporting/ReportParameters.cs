using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>
/// The parameters the report shows and their one order, used by the summary, the trials table, parallel coordinates and
/// importance alike: the search space's (audit 1207, finding 12: the table ordered them by first appearance, so a
/// conditional <c>conv3_channels</c> came after <c>learning_rate</c>, and the summary alphabetically).
/// </summary>
internal static class ReportParameters
{
    /// <summary>
    /// The parameters of <paramref name="subset"/> (default: every trial of the study), each with the distribution of the
    /// latest trial that has it, in the study's order: <see cref="StudyReportData.SpaceNames"/> first, then every other
    /// parameter where the trials that have it place it.
    /// </summary>
    public static IReadOnlyList<(string Name, ParameterDistribution Distribution)> Of(StudyReportData data, IEnumerable<TrialSnapshot>? subset = null) =>
        Of(data.Trials, data.SpaceNames, subset);

    /// <summary><see cref="Of(StudyReportData, IEnumerable{TrialSnapshot}?)"/> for a study's <paramref name="trials"/> and space.</summary>
    public static IReadOnlyList<(string Name, ParameterDistribution Distribution)> Of(
        IReadOnlyList<TrialSnapshot> trials, IReadOnlyList<string>? spaceNames, IEnumerable<TrialSnapshot>? subset = null)
    {
        var rank = Order(trials, spaceNames).Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        var dists = new Dictionary<string, ParameterDistribution>(StringComparer.Ordinal);
        foreach (var t in (subset ?? trials).OrderBy(t => t.Number))
            foreach (var (name, dist) in t.Distributions) dists[name] = dist;
        return dists.OrderBy(d => rank[d.Key]).Select(d => (d.Key, d.Value)).ToArray();
    }

    /// <summary>
    /// Every parameter name of the study in order. Without the space (another Optuna client's study), each trial's own
    /// order is merged: a trial stores its parameters in the order it was given them (the space's, or the Optuna
    /// client's suggest calls), so a conditional parameter first seen in trial 3 goes right after the one trial 3 has
    /// before it, not to the end.
    /// </summary>
    private static List<string> Order(IReadOnlyList<TrialSnapshot> trials, IReadOnlyList<string>? spaceNames)
    {
        var order = new List<string>();
        foreach (var t in trials.OrderBy(t => t.Number))
        {
            var at = -1;
            foreach (var name in t.Distributions.Keys)
            {
                var index = order.IndexOf(name);
                if (index < 0) order.Insert(index = at + 1, name);
                at = index;
            }
        }
        if (spaceNames is not { } space) return order;
        return [.. space.Where(order.Contains), .. order.Where(n => !space.Contains(n))];
    }

    /// <summary>
    /// How a parameter's values are written wherever the report lists them: one notation per parameter, so a column
    /// does not mix <c>6.849e-4</c> with <c>0.00245</c> (audit 1207, finding 4e): scientific for every value once one
    /// of them needs it.
    /// </summary>
    public static Func<object?, string> Formatter(StudyReportData data, string name)
    {
        var scientific = data.Trials.Any(t => t.Params.ContainsKey(name) && t.Distributions.ContainsKey(name)
            && t.ExternalParam(name) is double d && TrialStyle.NeedsExponent(d));
        return value => TrialStyle.Format(value, scientific);
    }
}
