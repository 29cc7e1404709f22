namespace Mnist.Search.Config;

/// <summary>What a number of minutes may be, wherever one is read (a config file's <c>*_minutes</c>, <c>--max-minutes</c>).</summary>
public static class MinutesRule
{
    /// <summary>
    /// The shortest time limit taken: a second. Below it a limit means nothing a trial could meet, and below a
    /// tick it rounded to zero (1e-300 minutes ran no trial, or failed every one, with no word of why).
    /// </summary>
    public const double MinimumMinutes = 1.0 / 60;

    /// <summary>
    /// The longest time limit taken: the longest timer .NET can arm ((2^32 - 2) ms, 49.7 days). Above it a trial
    /// timeout was accepted and then every trial failed with "could not be supervised" and a stack trace, and a study
    /// timeout of billions of minutes created the study and then overflowed the deadline's date.
    /// </summary>
    public const double MaximumMinutes = 71_582;

    /// <summary>Why <paramref name="minutes"/> is refused, or null: at least a second and at most <see cref="MaximumMinutes"/>.</summary>
    public static string? Refusal(double minutes) =>
        !(minutes > 0) ? "must be a positive number of minutes"
        : minutes < MinimumMinutes ? $"must be at least a second ({MinimumMinutes:0.####} minutes)"
        : minutes > MaximumMinutes ? $"must be at most {MaximumMinutes} minutes (49.7 days, the longest timer .NET can set)"
        : null;
}
