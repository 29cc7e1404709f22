namespace Mnist.Search.Cluster;

/// <summary>
/// A submission that was refused before anything ran (bad option, no <c>sbatch</c>, storage the array
/// cannot share, or <c>sbatch</c>'s own rejection): one line naming what is wrong; nothing was submitted.
/// </summary>
internal sealed class SubmitRefusedException(string message) : Exception(message);
