namespace Mnist.Search.Config;

/// <summary>What a number of minutes may be, wherever one is read (a config file's <c>*_minutes</c>, <c>--max-minutes</c>).</summary>
public static class MinutesRule
{
    /// <summary>Positive, and small enough that adding it to "now" cannot overflow a <see cref="TimeSpan"/>.</summary>
    public static bool Allows(double minutes) => minutes > 0 && minutes <= TimeSpan.MaxValue.TotalMinutes / 2;
}
