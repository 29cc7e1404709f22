namespace Mnist.Search.Cli;

/// <summary>
/// Where a named study lives: its storage URL and its folder of logs and trial output. By default a study
/// called NAME is the SQLite file <c>studies/NAME/study.db</c> under the current folder; <c>--storage</c>
/// points elsewhere (another file, or PostgreSQL).
/// </summary>
internal sealed record StudyLocation(string Name, string StorageUrl, string StudyDirectory)
{
    public const string DefaultStudiesDirectory = "studies";

    public static StudyLocation For(string name, string? storage, string? studiesDir = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new UserInputException("a study name is required");
        var root = Path.GetFullPath(studiesDir ?? DefaultStudiesDirectory);
        var dir = Path.Combine(root, name);
        if (storage is not null) return new StudyLocation(name, storage, dir);
        var db = Path.Combine(dir, "study.db");
        // Read commands must not create an empty database for a typo'd name.
        if (!File.Exists(db))
            throw new UserInputException($"unknown study '{name}': {db} does not exist (run `study start`, or pass --storage URL)");
        return new StudyLocation(name, "sqlite:" + db, dir);
    }
}
