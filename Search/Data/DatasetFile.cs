namespace Mnist.Search.Data;

/// <summary>One raw IDX file of a dataset and the SHA-256 of its uncompressed bytes (lower-case hex).</summary>
public sealed record DatasetFile(string Name, string Sha256);
