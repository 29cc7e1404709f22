using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli;

/// <summary>
/// Where a named study lives: its storage URL and its folder of logs and trial output. By default a study
/// called NAME is the SQLite file <c>studies/NAME/study.db</c> under the current folder; <c>--storage</c>
/// points elsewhere (another file, or PostgreSQL).
/// </summary>
internal sealed record StudyLocation
{
    private readonly string _studiesRoot;

    private StudyLocation(string name, string storageUrl, string studiesRoot)
    {
        Name = name;
        StorageUrl = storageUrl;
        _studiesRoot = studiesRoot;
        // The parsed URL's display, as `study start` shows the same storage: the user's own spelling (sqlite:/abs,
        // postgres://) made every command that opens a study by name show it otherwise than the run that made it.
        StorageDisplay = Storage.StorageUrl.Parse(storageUrl, Directory.GetCurrentDirectory()).Display;
    }

    public string Name { get; }

    /// <summary>The storage URL as given, password included: for opening only, never for printing.</summary>
    public string StorageUrl { get; }

    /// <summary>The storage URL with its password masked, for messages and logs.</summary>
    public string StorageDisplay { get; }

    /// <summary>
    /// <c>studies/NAME</c>. Checked when asked for, not before: query commands may read a study whose stored
    /// name (from another tool) cannot name a folder, but nothing is ever written outside the studies folder.
    /// </summary>
    public string StudyDirectory => StudyFolder.PathFor(_studiesRoot, Name);

    public static StudyLocation For(string name, string? storage, string? studiesDir = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new UserInputException("a study name is required");
        if (studiesDir is not null && string.IsNullOrWhiteSpace(studiesDir))
            throw new UserInputException("--studies-dir: must name a folder, got an empty one");
        var root = Path.GetFullPath(studiesDir ?? StudyPaths.StudiesFolder);
        if (storage is not null) return new StudyLocation(name, Mnist.Search.Storage.StorageUrl.Anchor(storage, Directory.GetCurrentDirectory()), root);
        var db = Path.Combine(StudyFolder.PathFor(root, name), StudyPaths.DatabaseFile);
        if (Directory.Exists(db))
            throw new UserInputException($"study '{name}': {db} is a folder, not a study database");
        // Read commands must not create an empty database for a typo'd name.
        if (!File.Exists(db))
            throw new UserInputException(File.Exists(name)
                ? ConfigFileGiven(name, root)
                // Run from another folder than the configuration's, the study is elsewhere: --studies-dir finds it there.
                : $"unknown study '{name}': {db} does not exist (run `study start`; for a study elsewhere give --studies-dir DIR, the folder of its study folder, or --storage URL)");
        return new StudyLocation(name, Mnist.Search.Storage.StorageUrl.ForSqlite(db), root);
    }

    /// <summary>
    /// The refusal of a configuration file given for a study's name (`study status search.json`, the file `study start`
    /// took): it said "unknown study 'search.json': studies/search.json/study.db does not exist". Names the study and
    /// storage the file declares, when it can be read.
    /// </summary>
    private static string ConfigFileGiven(string path, string studiesRoot)
    {
        var head = $"'{path}' is a file: this command takes a study's name, not its configuration";
        try
        {
            var config = Mnist.Search.Config.StudyConfigLoader.Load(path);
            // The command finds a study in its default place by name alone; elsewhere it needs the storage too.
            var found = Mnist.Search.Storage.StorageUrl.SameDatabase(config.Storage, Mnist.Search.Storage.StorageUrl.ForSqlite(StudyPaths.DatabaseIn(studiesRoot, config.Study)), config.BaseDirectory);
            var storage = found ? "" : $" --storage {Mnist.Search.Storage.StorageUrl.Redact(config.Storage)}";
            return $"{head} (its study: {config.Study}{storage})";
        }
        catch (Exception e) when (e is UserInputException or Mnist.Search.Config.ConfigException or IOException) { return head; }
    }

    /// <summary>
    /// This study in <paramref name="store"/>. Unknown: bad input. An Optuna multi-objective study: bad input too, for
    /// every command that searches or ranks it (its first objective alone was taken for the study's, and a "best" trial
    /// reported with confidence); <paramref name="anyObjectives"/> lets one through for those that do neither (delete).
    /// </summary>
    public async Task<StudyInfo> FindInAsync(IStudyStorage store, CancellationToken ct, string? hint = null, bool anyObjectives = false)
    {
        var study = await store.GetStudyAsync(Name, ct) ?? throw new UserInputException($"unknown study '{Name}' in {StorageDisplay}{hint}");
        if (study.Objectives > 1 && !anyObjectives)
            throw new UserInputException(
                $"study '{Name}' in {StorageDisplay} has {study.Objectives} objectives (an Optuna multi-objective study); this tool searches and ranks one (`trials sql` reads it)");
        return study;
    }

    /// <summary>
    /// Opens for writing the storage of this study, which must exist: it is looked up read-only first, so that a
    /// mistyped <c>--storage</c> creates nothing (it left an empty SQLite database and its folder, or would create
    /// Optuna's tables in whatever PostgreSQL database the URL names) before the command was refused.
    /// </summary>
    public async Task<(IStudyStorage Storage, StudyInfo Study)> OpenExistingAsync(CancellationToken ct, string? hint = null, bool anyObjectives = false)
    {
        var cwd = Directory.GetCurrentDirectory();
        await using (var probe = await StorageFactory.OpenReadOnlyAsync(StorageUrl, cwd, ct))
            await FindInAsync(probe, ct, hint, anyObjectives);
        var storage = await StorageFactory.OpenAsync(StorageUrl, cwd, ct);
        try
        {
            return (storage, await storage.GetStudyAsync(Name, ct) ?? throw new UserInputException($"unknown study '{Name}' in {StorageDisplay}{hint}"));
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }
    }
}
