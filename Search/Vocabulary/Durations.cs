namespace Mnist.Search.Vocabulary;

/// <summary>Durations as messages say them.</summary>
public static class Durations
{
    /// <summary>"5 min 10 s", "4 s": a one-second trial timeout read "timed out after 0.02 min".</summary>
    public static string Format(TimeSpan t) =>
        t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds} s" : $"{Math.Max(1, (int)Math.Round(t.TotalSeconds))} s";
}
