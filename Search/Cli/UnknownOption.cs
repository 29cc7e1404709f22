using System.CommandLine;

namespace Mnist.Search.Cli;

/// <summary>
/// "unknown option --no-retrian (did you mean --no-retrain?)" for a word that looks like an option where the parser took
/// it for an argument: <c>study start --no-retrian</c> was read as the configuration file and refused as
/// "…/--no-retrian: $: config file not found" (audit-cli 9).
/// </summary>
internal static class UnknownOption
{
    /// <summary>True when <paramref name="word"/> starts with '-' and names no file or folder (a file may be called so).</summary>
    public static bool Is(string word) => word.StartsWith('-') && !File.Exists(word) && !Directory.Exists(word);

    public static UserInputException Refusal(string word, Command command)
    {
        var nearest = command.Options.SelectMany(o => o.Aliases.Append(o.Name))
            .Where(n => n.StartsWith("--", StringComparison.Ordinal))
            .Select(n => (Name: n, Distance: Distance(word, n)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        // Up to a third of the name mistyped: --no-retrian (2 letters swapped) is --no-retrain, --zzz is no option.
        var hint = nearest.Name is not null && nearest.Distance <= Math.Max(1, nearest.Name.Length / 3) ? $" (did you mean {nearest.Name}?)" : "";
        return new UserInputException($"unknown option {word}{hint}");
    }

    // Levenshtein distance, one row at a time.
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
