namespace Mnist.Search.Cluster;

/// <summary>
/// A submission that was refused before anything ran (bad option, no <c>sbatch</c>, storage the array
/// cannot share, or <c>sbatch</c>'s own rejection): one line naming what is wrong; nothing was submitted.
/// </summary>
internal sealed class SubmitRefusedException(string message) : Exception(message);

/// <summary>
/// Slurm could not be asked (the controller is unreachable, a client hung or printed nonsense): the cluster's state,
/// not the user's input, so one line and exit code 1; nothing was submitted.
/// </summary>
internal sealed class SlurmUnavailableException(string message) : Exception(message);
