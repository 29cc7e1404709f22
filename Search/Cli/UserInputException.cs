namespace Mnist.Search.Cli;

/// <summary>
/// Bad input from the user (unknown study, bad trial number, missing file, unknown format): reported as
/// one line and exit code 2, with nothing written.
/// </summary>
internal sealed class UserInputException(string message) : Exception(message);
