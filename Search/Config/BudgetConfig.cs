namespace Mnist.Search.Config;

/// <summary>
/// How much the study may spend: <see cref="Trials"/> trials of <see cref="Epochs"/> epochs each, at most
/// <see cref="MaxConcurrent"/> at once, within <see cref="Timeout"/> for the study and
/// <see cref="TrialTimeout"/> per trial (a null study timeout is none; a null trial timeout is <see cref="DefaultTrialTimeout"/>);
/// a process stops after <see cref="MaxConsecutiveFailures"/> of its trials failed in a row.
/// </summary>
public sealed record BudgetConfig(int Trials, int Epochs, int MaxConcurrent, TimeSpan? Timeout, TimeSpan? TrialTimeout,
    int MaxConsecutiveFailures = BudgetConfig.DefaultMaxConsecutiveFailures)
{
    /// <summary>
    /// <c>max_consecutive_failures</c> when left out. A worker broken for every trial (an import error, a missing file, a
    /// typo in worker.command) failed the whole budget in seconds, each failure a FAIL row counted against it, so a fixed
    /// worker found the study finished; KerasTuner stops after 3 in a row. 5 leaves room for a few concurrent trials that
    /// fail together for a reason of their own (one slot's out-of-memory kill while others were already started).
    /// </summary>
    public const int DefaultMaxConsecutiveFailures = 5;

    /// <summary>A trial's time limit when <c>trial_timeout_minutes</c> is left out.</summary>
    public static readonly TimeSpan DefaultTrialTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The trial time limit in effect.</summary>
    public TimeSpan EffectiveTrialTimeout => TrialTimeout ?? DefaultTrialTimeout;
}
