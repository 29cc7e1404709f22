namespace Mnist.Search.Config;

/// <summary>
/// Replaces the trial command (tests, custom trainers): program then arguments, no shell. Elements that
/// start with <c>./</c> or <c>../</c> were resolved against the config folder; placeholders such as
/// <c>{spec}</c> are filled in per trial (see <c>Workers/TrialCommand</c>).
/// </summary>
public sealed record WorkerConfig(IReadOnlyList<string> Command);
