namespace Mnist.Search.Cli;

/// <summary>Process exit codes of the <c>Search</c> command line.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    /// <summary>The study ran, but none of its trials completed: each failed or was pruned (nothing to report as best).</summary>
    public const int AllTrialsFailed = 3;
    public const int Interrupted = 130;
}
