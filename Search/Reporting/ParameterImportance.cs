using Mnist.Search.Gp;
using Mnist.Search.Sampling;
using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Reporting;

/// <summary>
/// Parameter importance as permutation importance ("model reliance", Breiman 2001; Fisher, Rudin &amp; Dominici
/// 2019) of a Gaussian-process surrogate: the same Matérn-5/2 ARD GP the sampler uses is fitted to the COMPLETE
/// trials (parameters in the sampler's unit-cube encoding, values standardised). For each parameter, its columns
/// are shuffled across trials (a categorical's one-hot columns together) and the mean squared change of the
/// surrogate's posterior mean is recorded, averaged over <see cref="Repeats"/> shuffles; the figures are then
/// scaled to sum to 1. Unlike a rank correlation, this sees non-monotone effects and interactions; unlike raw
/// ARD length-scales, it is comparable across categorical and numeric parameters. Deterministic (fixed seed).
/// </summary>
public static class ParameterImportance
{
    /// <summary>Shown in the report next to the figure.</summary>
    public const string Method =
        "Permutation importance of a Gaussian-process surrogate (Matérn-5/2, ARD) fitted to the COMPLETE trials: "
        + "each parameter is shuffled across trials and the mean squared change of the surrogate's predicted value is measured "
        + "(averaged over 20 shuffles), then the figures are scaled to sum to 1.";

    public const int MinimumTrials = 3;

    /// <summary>
    /// Below this many COMPLETE trials the report warns that the importances are unreliable: a surrogate fitted to a
    /// handful of points ranks parameters by chance (audit 1207, finding 3: with 6 COMPLETE trials the report put
    /// batch_size first at 0.338, Optuna's PedAnova last at 0.006).
    /// </summary>
    public const int ReliableTrials = 15;
    private const int Repeats = 20;
    // The GP costs O(n²) per prediction; past this many trials a fixed-seed random subset is used.
    private const int MaxTrials = 200;

    /// <summary>Importance per parameter (summing to 1, largest first), or the reason there is none.</summary>
    public static (IReadOnlyList<(string Name, double Importance)> Values, string? Missing) Compute(
        IReadOnlyList<TrialSnapshot> trials, IReadOnlyList<string>? spaceNames = null)
    {
        var complete = Complete(trials);
        if (complete.Count < MinimumTrials)
            return ([], $"needs at least {MinimumTrials} COMPLETE trials, the study has {complete.Count}");

        // Only parameters every COMPLETE trial has, with the latest trial's distribution (a resumed study keeps its space).
        var parameters = ReportParameters.Of(trials, spaceNames, complete)
            .Where(p => complete.All(t => t.Params.ContainsKey(p.Name))).ToArray();
        if (parameters.Length == 0) return ([], "the COMPLETE trials share no parameter");
        var encoder = new SpaceEncoder(new SearchSpace(parameters.Select(p => KeyValuePair.Create(p.Name, p.Distribution)).ToArray()));
        complete = complete.Where(t => encoder.Covers(t.Params)).ToList();
        if (complete.Count < MinimumTrials)
            return ([], $"needs at least {MinimumTrials} COMPLETE trials inside the current search space, the study has {complete.Count}");

        var rng = new Random(20240601);
        if (complete.Count > MaxTrials) complete = complete.OrderBy(_ => rng.Next()).Take(MaxTrials).ToList();
        var x = complete.Select(t => encoder.Encode(t.Params)).ToArray();
        var values = complete.Select(t => t.Value!.Value).ToArray();
        var mean = values.Average();
        var std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
        if (std < 1e-12) return ([], "every COMPLETE trial has the same value");
        var y = values.Select(v => (v - mean) / std).ToArray();

        GaussianProcess gp;
        try
        {
            gp = new GaussianProcess(x, y, GpFitter.Fit(x, y, rng));
        }
        catch (ArgumentException e)
        {
            // MathNet's Cholesky refuses a matrix that is not positive definite; the report goes on without importance.
            return ([], $"the surrogate could not be fitted ({e.Message})");
        }
        var baseline = x.Select(p => gp.Predict(p).Mean).ToArray();
        var raw = new double[parameters.Length];
        var shuffled = new double[encoder.Columns];
        var order = Enumerable.Range(0, x.Length).ToArray();
        for (var p = 0; p < parameters.Length; p++)
        {
            var dim = encoder.Dimensions[p];
            var sum = 0.0;
            for (var r = 0; r < Repeats; r++)
            {
                rng.Shuffle(order);
                for (var i = 0; i < x.Length; i++)
                {
                    x[i].CopyTo(shuffled, 0);
                    Array.Copy(x[order[i]], dim.Column, shuffled, dim.Column, dim.Width);
                    var change = gp.Predict(shuffled).Mean - baseline[i];
                    sum += change * change;
                }
            }
            raw[p] = sum / (Repeats * x.Length);
        }
        var total = raw.Sum();
        if (!(total > 1e-15)) return ([], "the surrogate's prediction does not depend on any parameter");
        return (parameters.Select((p, i) => (p.Name, raw[i] / total)).OrderByDescending(p => p.Item2).ToArray(), null);
    }

    /// <summary>
    /// The parameters some COMPLETE trial has but not every one (a conditional parameter, an Optuna client's partial
    /// trial), in the study's order: importance leaves them out, as Optuna's does, and the report names them.
    /// </summary>
    public static IReadOnlyList<string> LeftOut(IReadOnlyList<TrialSnapshot> trials, IReadOnlyList<string>? spaceNames = null)
    {
        var complete = Complete(trials);
        return ReportParameters.Of(trials, spaceNames, complete).Select(p => p.Name)
            .Where(n => !complete.All(t => t.Params.ContainsKey(n))).ToArray();
    }

    /// <summary>The trials importance is computed from: COMPLETE with a finite value.</summary>
    public static List<TrialSnapshot> Complete(IReadOnlyList<TrialSnapshot> trials) =>
        trials.Where(t => t.State == TrialState.COMPLETE && t.Value is { } v && double.IsFinite(v)).ToList();
}
