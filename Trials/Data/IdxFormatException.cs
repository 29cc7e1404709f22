namespace Mnist.Trials.Data;

/// <summary>
/// A dataset file is missing, truncated, corrupt or inconsistent. The message is one line that names
/// the file and what is wrong; the worker reports it as bad input (exit code 2).
/// </summary>
internal sealed class IdxFormatException(string message, Exception? inner = null) : Exception(message, inner);
