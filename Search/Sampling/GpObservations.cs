using Mnist.Search.Space;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Sampling;

/// <summary>One point the GP is fitted on: the trial it came from, its features, its value (minimization) and
/// whether it is the trial's result at the study's full fidelity (a COMPLETE trial's final value).</summary>
internal sealed record GpObservation(TrialSnapshot Trial, double[] X, double Y, bool Final);

/// <summary>
/// Turns a study's trials into <see cref="GpObservation"/>s, in one of two ways.
/// <list type="bullet">
/// <item>Single fidelity (<c>maxFidelity</c> ≤ 1): one point per trial — a COMPLETE trial's value, or a PRUNED
/// trial's last intermediate value, taken at face value.</item>
/// <item>Multi-fidelity (<c>maxFidelity</c> = the study's epochs, with a pruner that stops trials early): one point per
/// reported epoch of every COMPLETE, PRUNED or RUNNING trial, with one extra feature column, the fidelity
/// <c>log(epoch) / log(maxFidelity)</c> ∈ [0, 1]. The GP then learns how a configuration's score at one epoch
/// relates to its score at the last, so a trial pruned after one epoch says what it says about the full run
/// (through the kernel's length scale in the fidelity column, learned from the trials that went further)
/// instead of being compared as if it had finished. The log spacing matches ASHA's geometric rungs.</item>
/// </list>
/// Trials outside the space and NaN values are skipped; infinities are kept (the sampler clips them).
/// </summary>
internal static class GpObservations
{
    /// <summary>The fidelity column's value for a result after <paramref name="step"/> of <paramref name="maxFidelity"/> epochs.</summary>
    public static double Fidelity(int step, int maxFidelity) =>
        maxFidelity <= 1 ? 1.0 : Math.Clamp(Math.Log(Math.Max(step, 1)) / Math.Log(maxFidelity), 0.0, 1.0);

    /// <summary><paramref name="features"/> with the fidelity column appended (only in multi-fidelity mode).</summary>
    public static double[] At(double[] features, double fidelity)
    {
        var x = new double[features.Length + 1];
        features.CopyTo(x, 0);
        x[^1] = fidelity;
        return x;
    }

    /// <param name="lastEpochOnly">Multi-fidelity only: each trial's last reported epoch alone, for measuring (bench/search
    /// "gp last epoch"): the epochs of one trial share its seed, which the GP's independent noise does not know.
    /// Measured worse (issue 9; see <see cref="GpSampler.EveryEpoch"/>).</param>
    public static List<GpObservation> From(
        SpaceEncoder encoder, StudyDirection direction, IReadOnlyList<TrialSnapshot> trials, int maxFidelity, bool lastEpochOnly = false)
    {
        var sign = direction == StudyDirection.MAXIMIZE ? -1.0 : 1.0;
        var observations = new List<GpObservation>();
        foreach (var t in trials)
        {
            if (!encoder.Covers(t.Params)) continue;
            var features = encoder.Encode(t.Params);
            if (maxFidelity <= 1)
            {
                double? value = t.State switch
                {
                    TrialState.COMPLETE => t.Value,
                    TrialState.PRUNED => t.LastIntermediate?.Value,
                    _ => null,
                };
                if (value is { } v && !double.IsNaN(v))
                    observations.Add(new GpObservation(t, features, sign * v, t.State == TrialState.COMPLETE));
                continue;
            }

            if (t.State is not (TrialState.COMPLETE or TrialState.PRUNED or TrialState.RUNNING)) continue;
            var finalReported = false;
            var reported = t.IntermediateValues.Where(kv => kv.Key >= 1 && kv.Key <= maxFidelity && !double.IsNaN(kv.Value)).OrderBy(kv => kv.Key).ToList();
            if (lastEpochOnly && reported.Count > 1) reported.RemoveRange(0, reported.Count - 1);
            foreach (var (step, value) in reported)
            {
                var final = t.State == TrialState.COMPLETE && step == maxFidelity;
                finalReported |= final;
                observations.Add(new GpObservation(t, At(features, Fidelity(step, maxFidelity)), sign * value, final));
            }
            // A trainer that reports no intermediate values still has its final value, at full fidelity.
            if (t.State == TrialState.COMPLETE && !finalReported && t.Value is { } complete && !double.IsNaN(complete))
                observations.Add(new GpObservation(t, At(features, 1.0), sign * complete, true));
        }
        return observations;
    }
}
