namespace Mnist.Search.Config;

/// <summary>
/// How much the study may spend: <see cref="Trials"/> trials of <see cref="Epochs"/> epochs each, at most
/// <see cref="MaxConcurrent"/> at once, within <see cref="Timeout"/> for the study and
/// <see cref="TrialTimeout"/> per trial (null = no limit).
/// </summary>
public sealed record BudgetConfig(int Trials, int Epochs, int MaxConcurrent, TimeSpan? Timeout, TimeSpan? TrialTimeout);
