namespace Mnist.Search.Cli;

/// <summary>Process exit codes of the <c>Search</c> command line.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    /// <summary>
    /// No trial of the study completed (nothing to report as best): the study ran and each trial failed or was pruned, or
    /// <c>study best</c> found none COMPLETE yet.
    /// </summary>
    public const int AllTrialsFailed = 3;

    /// <summary>
    /// Try again later: another process retrains the study or runs its trials (<see cref="StudyBusyException"/>), or
    /// holds its SQLite database locked for longer than a command waits. sysexits.h's EX_TEMPFAIL, as mail and
    /// backup tools use for "the work is fine, the moment is not".
    /// </summary>
    public const int Busy = 75;
    public const int Interrupted = 130;
}
