namespace Mnist.Search.Config;

/// <summary>
/// How much the study may spend: <see cref="Trials"/> trials of <see cref="Epochs"/> epochs each, at most
/// <see cref="MaxConcurrent"/> at once, within <see cref="Timeout"/> for the study and
/// <see cref="TrialTimeout"/> per trial (a null study timeout is none; a null trial timeout is 10 minutes, see <c>Cli/ConfigMapping</c>).
/// </summary>
public sealed record BudgetConfig(int Trials, int Epochs, int MaxConcurrent, TimeSpan? Timeout, TimeSpan? TrialTimeout);
