namespace Mnist.Search.Config;

/// <summary>What a number of minutes may be, wherever one is read (a config file's <c>*_minutes</c>, <c>--max-minutes</c>).</summary>
public static class MinutesRule
{
    /// <summary>
    /// The shortest time limit taken: a second. Below it a limit means nothing a trial could meet, and below a
    /// tick it rounded to zero (1e-300 minutes ran no trial, or failed every one, with no word of why).
    /// </summary>
    public const double MinimumMinutes = 1.0 / 60;

    /// <summary>Why <paramref name="minutes"/> is refused, or null: positive, at least a second, and small enough that adding it to "now" cannot overflow a <see cref="TimeSpan"/>.</summary>
    public static string? Refusal(double minutes) =>
        !(minutes > 0) || minutes > TimeSpan.MaxValue.TotalMinutes / 2 ? "must be a positive number of minutes"
        : minutes < MinimumMinutes ? $"must be at least a second ({MinimumMinutes:0.####} minutes)"
        : null;
}
