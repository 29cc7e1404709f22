using Mnist.Search.Storage;

namespace Mnist.Search.Cli;

/// <summary>
/// A study as the commands that follow up on it name it, in the hints a run prints ("`study resume NAME`"): with
/// <c>--storage</c> unless the study is where those commands look by default (<c>studies/NAME/study.db</c> under the
/// current folder). The hint of a PostgreSQL study's <c>study worker</c> said `study resume NAME`, which then failed
/// with "unknown study".
/// </summary>
internal static class StudyCommandLine
{
    public static string For(string study, string storageUrl, string baseDirectory)
    {
        var storage = StorageUrl.Parse(storageUrl, baseDirectory);
        var byDefault = Path.Combine(Path.GetFullPath(StudyLocation.DefaultStudiesDirectory), study, StudyLocation.DatabaseFile);
        return storage.Kind == StorageKind.Sqlite && Path.GetFullPath(storage.Target) == byDefault
            ? Quote(study)
            : $"{Quote(study)} --storage {Quote(storage.Display)}";
    }

    // Pasted into a shell, a path with a space split into several arguments, and a name or URL with a shell
    // metacharacter (an Optuna study's name is any text; a PostgreSQL URL shows its password as ***) did worse. Single
    // quotes, as SlurmScript writes its commands, only around words that need them, so the common hint stays plain.
    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./:@%+=,".Contains(c))
            ? word
            : Mnist.Search.Cluster.SlurmScript.Quote(word);
}
