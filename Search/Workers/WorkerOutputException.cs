namespace Mnist.Search.Workers;

/// <summary>
/// The worker's output broke the protocol in a way the coordinator must not absorb (a line longer than
/// <see cref="BoundedLineReader.MaxLineChars"/>); the worker has been killed. Thrown from
/// <see cref="IWorkerProcess.ReadLinesAsync"/>.
/// </summary>
public sealed class WorkerOutputException(string message) : Exception(message);
