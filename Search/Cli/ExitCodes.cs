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
    public const int Interrupted = 130;
}
