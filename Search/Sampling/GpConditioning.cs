namespace Mnist.Search.Sampling;

/// <summary>
/// Which points a proposal's GP is conditioned on. Its cost has no bound otherwise: the Cholesky factor is O(n³) and
/// n² doubles (twice, with the pending points), every acquisition value O(n²), and in a pruned study every reported
/// epoch of every trial is an observation. The scale audit (2026-12-06) measured an ask at 12 s on 2,010 observations,
/// 304 s and 820 MB on 3,700, and more than 15 min and 2.4 GB on 9,960, where `study resume` stalled.
/// <list type="bullet">
/// <item>Past <see cref="MaxObservations"/> observations: the best quarter (where the acquisition looks), the incumbent,
/// and a random rest drawn from (seed, number of trials), as <see cref="Gp.GpFitter"/> chooses its fitting subsample.
/// A study that long is past the point where more of its points change the proposal much; the hyperparameters
/// are fitted on a subsample anyway (<see cref="Gp.GpFitOptions.MaxFitPoints"/>).</item>
/// <item>Past <see cref="MaxPending"/> pending points: the running and waiting ones first, then the most recently
/// failed ones (a long study's failed trials, never retried, were its second largest set of points).</item>
/// </list>
/// At or below both caps every point is kept, in order, and nothing is drawn: the proposal is exactly the uncapped
/// sampler's (the default study has fewer than 100 observations; issue 9's figures were measured on it).
/// </summary>
internal static class GpConditioning
{
    /// <summary>
    /// Chosen so that one ask stays under a second or two. Measured (2026-12-07; a synthetic pruned study of the default
    /// space, 3 epochs, 5 % failed trials, one running; median of 3 asks, one at 5,001; this shared 2-core machine):
    /// <code>
    /// observations      200      1,001            2,002            5,001
    /// uncapped          0.9 s    1.5 s, 155 MB    9.6 s, 467 MB    (audit: > 15 min, 2.4 GB at 9,960)   load ~6
    /// cap 500           0.5 s    0.7 s,  90 MB    0.6 s,  98 MB    0.4 s, 107 MB                        load ~6
    /// cap 1,000         -        -                1.5 s, 151 MB    1.6 s, 210 MB                        load ~5
    /// under load 14-29: uncapped 2.3 s at 1,001 and 50 s at 2,002; cap 1,000 3.8 / 8.1 / 5.0 s at 1,001 / 2,002 /
    /// 5,001; cap 500 2.7 s at 1,001 and 1.8 s at 5,001.
    /// </code>
    /// Nothing was seen to be lost: on 6 such studies of 1,300 observations (a noise-free truth of the proposal, exploiting
    /// turn) the mean truth was 0.98561 with the cap of 500, 0.98550 with 1,000 and 0.98553 uncapped.
    /// </summary>
    public const int MaxObservations = 500;

    /// <summary>
    /// Pending points beside the observations, at the least: they also take what the observations leave of
    /// <see cref="MaxObservations"/>, so the GP has at most 1¼ <see cref="MaxObservations"/> points and a study within
    /// that size keeps every pending point.
    /// </summary>
    public const int MaxPending = MaxObservations / 4;

    /// <summary>
    /// The indices, ascending, of the observations to condition on, or null for all of them (at most
    /// <paramref name="max"/>): the best quarter by <paramref name="standardized"/> value (lower is better), the
    /// <paramref name="incumbent"/> (−1: none) and a draw from <paramref name="rng"/> among the rest.
    /// </summary>
    public static int[]? Observations(double[] standardized, int incumbent, int max, Random rng)
    {
        if (standardized.Length <= max) return null;
        var order = Enumerable.Range(0, standardized.Length).OrderBy(i => standardized[i]).ToArray();
        var chosen = order.Take(max / 4).ToHashSet();
        if (incumbent >= 0) chosen.Add(incumbent);
        var rest = order.Where(i => !chosen.Contains(i)).ToArray();
        rng.Shuffle(rest);
        return chosen.Concat(rest.Take(max - chosen.Count)).Order().ToArray();
    }

    /// <summary>
    /// <paramref name="pending"/> (in trial order) if at most <paramref name="max"/>; else the non-failed ones first, then
    /// the failed ones with the highest trial numbers, up to <paramref name="max"/>, in their order.
    /// </summary>
    public static List<T> Pending<T>(List<T> pending, Func<T, bool> failed, int max)
    {
        if (pending.Count <= max) return pending;
        var running = Enumerable.Range(0, pending.Count).Where(i => !failed(pending[i])).Take(max).ToList();
        var recentFailed = Enumerable.Range(0, pending.Count).Where(i => failed(pending[i])).Reverse().Take(max - running.Count);
        return running.Concat(recentFailed).Order().Select(i => pending[i]).ToList();
    }
}
