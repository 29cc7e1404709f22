using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>
/// The words for trial states in output and options: study list's columns and study status's counts name them as
/// counts ("failed"), trials list --state takes those or Optuna's state names ("FAIL"), in any case.
/// </summary>
internal static class StateWords
{
    /// <summary>Each state's count word, in the order the views list them.</summary>
    public static readonly IReadOnlyList<(string Word, TrialState State)> Counts =
    [
        ("complete", TrialState.COMPLETE), ("pruned", TrialState.PRUNED), ("failed", TrialState.FAIL),
        ("running", TrialState.RUNNING), ("waiting", TrialState.WAITING),
    ];

    /// <summary>
    /// The state <paramref name="text"/> names (an Optuna state name or a count word, in any case); null when none. By
    /// name only: Enum.TryParse also took numbers and flag lists ("1" was COMPLETE, "COMPLETE,PRUNED" was FAIL).
    /// </summary>
    public static TrialState? Parse(string text)
    {
        var word = text.Trim();
        foreach (var name in Enum.GetNames<TrialState>())
            if (string.Equals(name, word, StringComparison.OrdinalIgnoreCase)) return Enum.Parse<TrialState>(name);
        foreach (var (count, state) in Counts)
            if (string.Equals(count, word, StringComparison.OrdinalIgnoreCase)) return state;
        return null;
    }
}
