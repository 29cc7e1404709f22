namespace Mnist.Trials.Model;

/// <summary>A checkpoint folder is missing a file or its files do not fit together; the message names the file.</summary>
internal sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);
