namespace Mnist.Search.Workers;

/// <summary>A program and its arguments, run without a shell.</summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments);
