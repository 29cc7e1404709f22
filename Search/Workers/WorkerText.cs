using System.Globalization;
using System.Text;

namespace Mnist.Search.Workers;

/// <summary>
/// Makes text that came from a worker (error messages, stderr lines, event fields) safe to store, log and
/// print: control characters — ANSI escapes that clear a screen, newlines that forge log lines — become
/// visible <c>\uXXXX</c> / <c>\n</c> escapes, and the length is capped (issue 11).
/// </summary>
public static class WorkerText
{
    /// <summary>How much of one worker-supplied message is kept (fail reasons, error events).</summary>
    public const int MaxMessageChars = 2000;

    public static string Sanitize(string text, int maxChars = MaxMessageChars)
    {
        var b = new StringBuilder(Math.Min(text.Length, maxChars) + 16);
        foreach (var c in text)
        {
            if (b.Length >= maxChars)
            {
                b.Append(CultureInfo.InvariantCulture, $"… ({text.Length} characters in all)");
                break;
            }
            switch (c)
            {
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append(' '); break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029') b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else b.Append(c);
                    break;
            }
        }
        return b.ToString();
    }
}
