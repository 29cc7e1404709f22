using Mnist.Search.Workers;

namespace Mnist.Search.Cli;

/// <summary>
/// Text that reaches a person's terminal from storage, which other tools write too (study and parameter names, choice
/// labels, user attributes), made safe as worker texts are (<see cref="WorkerText.Sanitize"/>): control characters become
/// visible <c>\u001b</c>, <c>\n</c>. They were printed raw: a study name with <c>\e[2J</c> cleared the screen of whoever
/// ran <c>study list</c>, "two\nlines" showed as two studies, and one 400-character name squeezed every other column to a
/// few letters. <c>--format json</c> and CSV, read by programs, keep the exact text.
/// </summary>
internal static class ConsoleText
{
    /// <summary>How much of a name (study, parameter) a table column or title shows; the rest is counted.</summary>
    public const int NameChars = 64;

    /// <summary>A name for a table cell, column or title: one line, at most <see cref="NameChars"/> characters (and a count of the rest).</summary>
    public static string Name(string name) => WorkerText.Sanitize(name, NameChars);

    /// <summary>Any other text for a table cell, an error or warning line: one line, no control characters, nothing cut.</summary>
    public static string Line(string text) => WorkerText.Sanitize(text, int.MaxValue);
}
