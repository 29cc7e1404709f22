namespace Mnist.Search.Models;

/// <summary>
/// A Trials command (<c>check</c>, <c>export</c>) that failed other than by refusing its input (exit 2): a crash, an
/// abort, a kill. That is a failure of ours, not of the user's model: it was reported as "cannot export", exit 2, and
/// the Trials trace that locates the bug was dropped. <see cref="ToString"/> carries Trials' stderr, so the stack trace
/// the command line prints for a failure holds Trials' own.
/// </summary>
internal sealed class TrialsToolException(string message, string toolStderr) : Exception(message)
{
    public string ToolStderr { get; } = toolStderr;

    public override string ToString() =>
        $"{base.ToString()}{Environment.NewLine}Trials' stderr:{Environment.NewLine}{ToolStderr.TrimEnd()}";
}
