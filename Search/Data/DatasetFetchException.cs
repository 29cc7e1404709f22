namespace Mnist.Search.Data;

/// <summary>
/// A dataset could not be fetched or verified; the message is one line saying which files and why.
/// <see cref="IsBadInput"/>: the request was wrong (an unknown name, a folder that cannot be one: exit 2); otherwise the
/// machine failed it (no source reachable, a full disk: exit 1).
/// </summary>
public sealed class DatasetFetchException(string message, Exception? inner = null, bool isBadInput = false) : Exception(message, inner)
{
    public bool IsBadInput { get; } = isBadInput;
}
