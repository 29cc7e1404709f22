using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>
/// A study as the commands that follow up on it name it, in the hints a run prints ("`study resume NAME`"): with
/// <c>--storage</c> unless the study is where those commands look by default (<c>studies/NAME/study.db</c> under the
/// current folder). The hint of a PostgreSQL study's <c>study worker</c> said `study resume NAME`, which then failed
/// with "unknown study".
/// </summary>
internal static class StudyCommandLine
{
    /// <summary>
    /// <c>NAME [--storage URL]</c>, pasteable: a PostgreSQL URL without its password (<see cref="PasswordNote"/> says where
    /// it goes). Shown masked, as every other output shows it, the URL held <c>***</c> for a password, and pasted it failed
    /// to authenticate.
    /// </summary>
    public static string For(string study, string storageUrl, string baseDirectory) => Named(study, storageUrl, baseDirectory, alwaysStorage: false);

    private static string Named(string study, string storageUrl, string baseDirectory, bool alwaysStorage)
    {
        var storage = StorageUrl.Parse(StorageUrl.SplitPassword(storageUrl).Url, baseDirectory);
        var byDefault = StudyPaths.DatabaseIn(StudyPaths.StudiesFolder, study);
        return !alwaysStorage && storage.Kind == StorageKind.Sqlite && Path.GetFullPath(storage.Target) == byDefault
            ? Quote(study)
            : $"{Quote(study)} --storage {Quote(storage.Display)}";
    }

    /// <summary>
    /// " (the password in PGPASSWORD)" when the hint's PostgreSQL URL leaves one out: it came in the URL, or (a Slurm
    /// task's, whose script passes it so) in this process's PGPASSWORD. Else empty.
    /// </summary>
    public static string PasswordNote(string storageUrl) =>
        storageUrl.StartsWith("postgres", StringComparison.OrdinalIgnoreCase)
        && (StorageUrl.SplitPassword(storageUrl).Password is not null || Environment.GetEnvironmentVariable("PGPASSWORD") is { Length: > 0 })
            ? " (the password in PGPASSWORD)"
            : "";

    /// <summary>
    /// What a joining worker that was interrupted tells its user to do: the Slurm task (its array's job id in its
    /// environment) to submit again, any other to run `study worker` again. It said `study resume`, which runs a
    /// coordinator on the machine it is typed on, retraining at the end, not the cluster's workers.
    /// </summary>
    public static string WorkerAgain(string study, string storageUrl, string baseDirectory, string? studiesRoot)
    {
        // --storage always: `study worker` and `study submit` of a study in its default SQLite file still need it.
        var args = Named(study, storageUrl, baseDirectory, alwaysStorage: true);
        // The default folder goes unsaid, as in every hint; a Slurm task's script always names it.
        if (studiesRoot is not null && Path.GetFullPath(studiesRoot) != Path.GetFullPath(StudyPaths.StudiesFolder))
            args += " --studies-dir " + Quote(studiesRoot);
        return Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { Length: > 0 } job
            ? $"submit again to continue (`study submit {args} --slurm`, with the options of job {job}){PasswordNote(storageUrl)}"
            : $"run `study worker {args}` again (with the same --devices) to continue{PasswordNote(storageUrl)}";
    }

    // Pasted into a shell, a path with a space split into several arguments, and a name or URL with a shell
    // metacharacter (an Optuna study's name is any text) did worse. Single quotes, as SlurmScript writes its commands,
    // only around words that need them, so the common hint stays plain.
    internal static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:@%+=,".Contains(c))
            ? word
            : Mnist.Search.Cluster.SlurmScript.Quote(word);
}
