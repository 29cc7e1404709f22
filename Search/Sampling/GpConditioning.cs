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
/// are fitted on 100 points anyway.</item>
/// <item>Past <see cref="MaxPending"/> pending points: the running and waiting ones first, then the most recently
/// failed ones (a long study's failed trials, never retried, were its second largest set of points).</item>
/// </list>
/// At or below both caps every point is kept, in order, and nothing is drawn: the proposal is exactly the uncapped
/// sampler's (the default study has fewer than 100 observations; issue 9's figures were measured on it).
/// </summary>
internal static class GpConditioning
{
    /// <summary>
    /// Chosen so that one ask stays at a second or two. Measured (2026-12-07, median of 3 asks, one at 5,001; a synthetic
    /// pruned study of the default space, 3 epochs, 5 % failed trials, one running; this shared 2-core machine at a load
    /// average of 14–29, so read the ratios): uncapped, 2.3 s at 1,001 observations and 50 s (479 MB) at 2,002, and the
    /// scale audit's resume of 9,960 did not end in 15 min (2.4 GB). With a cap of 1,000: 3.8 s at 1,001, 8.1 s at 2,002,
    /// 5.0 s at 5,001 (161 MB). With 500: 2.7 s (fastest 1.5 s) at 1,001 and 1.8 s at 5,001 (96 MB).
    /// </summary>
    public const int MaxObservations = 500;

    /// <summary>Pending points beside the observations: the GP's size stays below 1¼ <see cref="MaxObservations"/>.</summary>
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
