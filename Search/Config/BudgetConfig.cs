namespace Mnist.Search.Config;

/// <summary>
/// How much the study may spend: <see cref="Trials"/> trials of <see cref="Epochs"/> epochs each, at most
/// <see cref="MaxConcurrent"/> at once, within <see cref="Timeout"/> for the study and
/// <see cref="TrialTimeout"/> per trial (a null study timeout is none; a null trial timeout is <see cref="DefaultTrialTimeout"/>).
/// </summary>
public sealed record BudgetConfig(int Trials, int Epochs, int MaxConcurrent, TimeSpan? Timeout, TimeSpan? TrialTimeout)
{
    /// <summary>A trial's time limit when <c>trial_timeout_minutes</c> is left out.</summary>
    public static readonly TimeSpan DefaultTrialTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The trial time limit in effect.</summary>
    public TimeSpan EffectiveTrialTimeout => TrialTimeout ?? DefaultTrialTimeout;
}
