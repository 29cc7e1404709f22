namespace Mnist.Search.Cluster;

/// <summary>
/// What <c>study submit --slurm</c> asks Slurm for: a job array of <see cref="Workers"/> tasks, each running
/// one <c>study worker</c> (<see cref="WorkerCommand"/>, the program and its leading arguments) on the study
/// in <see cref="StorageUrl"/>, from <see cref="WorkingDirectory"/> (where its <c>data/</c> and
/// <c>studies/</c> folders are), with its logs in <see cref="LogDirectory"/> and its study folder under
/// <see cref="StudiesDirectory"/> (absolute; null: the worker's default, <c>studies/</c> in the working folder).
/// Null options are left to the cluster's defaults.
/// </summary>
internal sealed record SlurmSubmission(
    string StudyName,
    string StorageUrl,
    int Workers,
    int GpusPerWorker,
    int? CpusPerWorker,
    string? Partition,
    string? Time,
    bool Requeue,
    string WorkingDirectory,
    string LogDirectory,
    IReadOnlyList<string> WorkerCommand,
    string? StudiesDirectory = null)
{
    /// <summary>The job name every task carries (<c>squeue -n</c> finds a study's jobs by it).</summary>
    public string JobName => JobNameFor(StudyName);

    public static string JobNameFor(string study) => "mnist-search-" + study;
}
