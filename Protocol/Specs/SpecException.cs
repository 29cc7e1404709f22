namespace Mnist.Protocol.Specs;

/// <summary>A spec file is invalid; the one-line message names the file, the JSON path, the value and what is accepted (worker exit code 2).</summary>
public sealed class SpecException(string message, Exception? inner = null) : Exception(message, inner);
