namespace Mnist.Trials.Training;

/// <summary>
/// Fits a run's epochs into a wall-time budget (the spec's <c>max_seconds</c>). The retrain of the default study
/// trains the chosen configuration for 20 epochs on 60,000 images; how long that takes depends on the configuration
/// (7.6 to 9 min on 2 cores for the two configurations the default study chose, well over 10 min for the widest of
/// its space at batch size 64), so a fixed epoch count alone cannot promise the study's 15 minutes.
/// </summary>
internal static class EpochBudget
{
    /// <summary>
    /// The epochs to plan after <paramref name="done"/> epochs, which took <paramref name="epochSeconds"/> together,
    /// when <paramref name="elapsedSeconds"/> of <paramref name="budgetSeconds"/> have passed: <paramref name="planned"/>,
    /// or fewer when the mean epoch so far says the rest would not end within the budget; never fewer than
    /// <paramref name="done"/>, never more than <paramref name="planned"/>.
    /// </summary>
    public static int Fit(int planned, int done, double epochSeconds, double elapsedSeconds, double budgetSeconds)
    {
        if (done <= 0 || done >= planned || epochSeconds <= 0) return Math.Max(planned, done);
        double meanEpoch = epochSeconds / done;
        double more = Math.Floor((budgetSeconds - elapsedSeconds) / meanEpoch);
        return (int)Math.Clamp(done + more, done, planned);
    }
}
