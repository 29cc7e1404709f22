namespace Mnist.Search.Cli;

/// <summary>
/// The study has no COMPLETE trial (nothing to retrain or export yet): one line and exit code 3, as <c>study best</c>
/// and a study whose trials all failed give, so a script can tell "no result yet" from a mistyped command (exit 2).
/// </summary>
internal sealed class NoCompleteTrialException(string message) : Exception(message);
