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
            ? study
            : $"{study} --storage {storage.Display}";
    }
}
