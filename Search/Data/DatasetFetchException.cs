namespace Mnist.Search.Data;

/// <summary>A dataset could not be fetched or verified; the message is one line saying which files and why.</summary>
public sealed class DatasetFetchException(string message, Exception? inner = null) : Exception(message, inner);
