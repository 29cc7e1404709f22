using Mnist.Search.Space;
using Mnist.Search.Tpe;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Sampling;

/// <summary>
/// The tree-structured Parzen estimator (the <c>tpe</c> sampler), as Optuna 4's <c>TPESampler</c> runs with its
/// defaults, so a study can be compared with the algorithm an Optuna script would use, on the same worker:
/// <list type="bullet">
/// <item>Until <paramref name="startupTrials"/> trials are COMPLETE or PRUNED, independent uniform draws (the
/// <see cref="RandomSampler"/>'s).</item>
/// <item>Then the finished trials are split: the best ⌈n/10⌉ (at most 25) are "below", the rest "above". COMPLETE
/// trials rank by value; PRUNED ones come after them, the later their last epoch and the better its value the
/// earlier. FAIL, RUNNING and WAITING trials are left out.</item>
/// <item>Each parameter on its own (univariate): 24 candidates drawn from the below trials' Parzen estimator
/// (<see cref="ParzenEstimator"/>; log parameters in log space), the one with the largest
/// log l(x) − log g(x) taken. A parameter of a conditional space (<see cref="SearchSpace.Conditions"/>) has its
/// estimators built from the trials that have it, as Optuna's independent TPE does, and is left out of a proposal whose
/// values do not meet its condition.</item>
/// <item>Stateless: the draws come from (seed, number of trials), as with the other samplers.</item>
/// </list>
/// </summary>
public sealed class TpeSampler(int seed = 0, int startupTrials = 10) : ISampler
{
    /// <summary>Optuna's <c>n_ei_candidates</c>.</summary>
    private const int Candidates = 24;

    public IReadOnlyDictionary<string, double> Sample(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials)
    {
        var finished = trials.Where(t => t.State == TrialState.PRUNED
            || (t.State == TrialState.COMPLETE && t.Value is { } v && !double.IsNaN(v))).ToList();
        if (finished.Count < startupTrials || finished.Count == 0)
            return new RandomSampler(seed).Sample(space, direction, trials);

        var (below, above) = Split(finished, direction, Gamma(finished.Count));
        var rng = SamplerRandom.For(seed, trials.Count, salt: 3);
        var proposal = new Dictionary<string, double>();
        foreach (var (name, distribution) in space.Parameters)
            proposal[name] = SampleParameter(name, distribution, below, above, rng);
        return space.Active(proposal);
    }

    public override string ToString() =>
        $"tpe: Optuna's TPE (univariate, {Candidates} candidates) after {startupTrials} random start-up trials, seed {seed}";

    /// <summary>Optuna's <c>default_gamma</c>: how many of n finished trials are "below".</summary>
    internal static int Gamma(int n) => Math.Min((int)Math.Ceiling(0.1 * n), 25);

    /// <summary>The best <paramref name="count"/> trials and the rest, each in trial order (Optuna's <c>_split_trials</c>).</summary>
    internal static (List<TrialSnapshot> Below, List<TrialSnapshot> Above) Split(
        IReadOnlyList<TrialSnapshot> finished, StudyDirection direction, int count)
    {
        var sign = direction == StudyDirection.MAXIMIZE ? -1.0 : 1.0;
        var complete = finished.Where(t => t.State == TrialState.COMPLETE).OrderBy(t => sign * t.Value!.Value);
        var pruned = finished.Where(t => t.State == TrialState.PRUNED)
            .OrderBy(t => t.LastIntermediate is { } last ? -last.Step : 1)
            .ThenBy(t => t.LastIntermediate is { } last ? (double.IsNaN(last.Value) ? double.PositiveInfinity : sign * last.Value) : 0.0);
        var ranked = complete.Concat(pruned).ToList();
        var below = ranked.Take(count).OrderBy(t => t.Number).ToList();
        var above = ranked.Skip(count).OrderBy(t => t.Number).ToList();
        return (below, above);
    }

    private static double SampleParameter(string name, ParameterDistribution distribution,
        List<TrialSnapshot> below, List<TrialSnapshot> above, Random rng)
    {
        var domain = ParameterDomain.For(distribution);
        if (domain.Single is { } only) return only;
        var l = domain.Estimator(Observations(name, distribution, below, domain));
        var g = domain.Estimator(Observations(name, distribution, above, domain));
        var (best, bestScore) = (double.NaN, double.NegativeInfinity);
        for (var i = 0; i < Candidates; i++)
        {
            var value = domain.ToInternal(l.Sample(rng));
            var x = domain.ToWorking(value);
            var score = l.LogPdf(x) - g.LogPdf(x);
            if (double.IsNaN(best) || score > bestScore) (best, bestScore) = (value, score);
        }
        return best;
    }

    private static List<double> Observations(string name, ParameterDistribution distribution, List<TrialSnapshot> trials, ParameterDomain domain) =>
        trials.Where(t => t.Params.TryGetValue(name, out var v) && distribution.Contains(v))
            .Select(t => domain.ToWorking(t.Params[name]))
            .ToList();

    /// <summary>
    /// Where a parameter's estimator works, as Optuna's Parzen estimator transforms it: log parameters as logs (a
    /// log int over [log(low − step/2), log(high + step/2)], rounded back to its grid), other ints and stepped
    /// floats on their grid, categoricals as choice indices.
    /// </summary>
    internal sealed record ParameterDomain(Func<List<double>, ParzenEstimator> Estimator, Func<double, double> ToWorking, Func<double, double> ToInternal, double? Single)
    {
        public static ParameterDomain For(ParameterDistribution distribution) => distribution switch
        {
            CategoricalDistribution c => new(
                obs => ParzenEstimator.Categorical(obs.Select(o => (int)o).ToList(), c.Choices.Count),
                v => v, v => v, c.Choices.Count == 1 ? 0 : null),
            FloatDistribution { Log: true } f => new(
                obs => ParzenEstimator.Numeric(obs, Math.Log(f.Low), Math.Log(f.High)),
                Math.Log, x => Math.Clamp(Math.Exp(x), f.Low, f.High), f.Low == f.High ? f.Low : null),
            FloatDistribution f => new(
                obs => ParzenEstimator.Numeric(obs, f.Low, f.High, f.Step ?? 0),
                v => v, x => OnGrid(x, f.Low, f.High, f.Step ?? 0), f.Low == f.High ? f.Low : null),
            IntDistribution { Log: true } i => new(
                obs => ParzenEstimator.Numeric(obs, Math.Log(i.Low - i.Step / 2.0), Math.Log(i.High + i.Step / 2.0)),
                Math.Log, x => OnGrid(Math.Exp(x), i.Low, i.High, i.Step), i.Low == i.High ? i.Low : null),
            IntDistribution i => new(
                obs => ParzenEstimator.Numeric(obs, i.Low, i.High, i.Step),
                v => v, x => OnGrid(x, i.Low, i.High, i.Step), i.Low == i.High ? i.Low : null),
            _ => throw new ArgumentException($"tpe: unsupported distribution {distribution}"),
        };

        private static double OnGrid(double x, double low, double high, double step) =>
            step > 0 ? Math.Clamp(low + Math.Round((x - low) / step) * step, low, high) : Math.Clamp(x, low, high);
    }
}
