namespace Mnist.Search.Cli;

/// <summary>
/// Another live process works on the study (retrains it, runs a trial of it) and the command will not interfere:
/// one line and exit code <see cref="ExitCodes.Busy"/>, so a script can wait and try again rather than take it for a
/// mistyped command (2) or a failure (1). A refusal that needs the user's decision (<c>--force</c> over trials that
/// processes which have ended left RUNNING) stays bad input.
/// </summary>
internal sealed class StudyBusyException(string message) : Exception(message);
