namespace Mnist.Trials.Protocol;

/// <summary>The spec file or the command line is invalid; the one-line message names the file, JSON path and value (exit code 2).</summary>
internal sealed class SpecException(string message, Exception? inner = null) : Exception(message, inner);
