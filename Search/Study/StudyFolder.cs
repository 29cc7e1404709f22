using System.Text.Json;
using System.Text.Json.Nodes;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;
using Mnist.Protocol.Files;

namespace Mnist.Search.Study;

/// <summary>
/// A study's folder of logs, checkpoints and models (<c>studies/NAME/</c>), tied to one study in one storage.
/// Two studies of the same name in different storages would otherwise share it, and one's <c>study export</c>
/// would export the other's model (issue 11). The study keeps a random id (<see cref="StudyAttributes.FolderId"/>);
/// the folder keeps the same id in <c>.study-id</c>; a mismatch is refused.
/// </summary>
public static class StudyFolder
{
    public const string MarkerFile = ".study-id";

    /// <summary>The study's log inside a study folder.</summary>
    public const string LogFile = "study.log";

    /// <summary>The retrained model's folder inside a study folder.</summary>
    public const string BestFolder = "best";

    /// <summary>The folder of the trials' folders (one per trial number) inside a study folder.</summary>
    public const string TrialsFolder = "trials";

    /// <summary>
    /// <paramref name="studiesRoot"/>/<paramref name="name"/>, refused when the name is not one plain folder name
    /// (a stored name such as <c>../../x</c> must not lead outside the studies folder).
    /// </summary>
    public static string PathFor(string studiesRoot, string name)
    {
        var root = Path.GetFullPath(studiesRoot);
        var dir = Path.GetFullPath(Path.Combine(root, name));
        if (name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0 || Path.GetDirectoryName(dir) != Path.TrimEndingDirectorySeparator(root))
            throw new StudyFolderException($"study name '{name}' cannot name a folder under {root} (it must be one folder name, without '/' or '..')");
        return dir;
    }

    /// <summary>
    /// For commands that write into the folder: gives the study its id if it has none (a study made before ids),
    /// writes the id into a new or unmarked folder, and throws <see cref="StudyFolderException"/> when the folder
    /// belongs to another study.
    /// </summary>
    public static async Task ClaimAsync(IStudyStorage storage, StudyInfo study, string folder, string storageDisplay, CancellationToken ct = default)
    {
        var id = await IdAsync(storage, study, ct);
        var marker = ReadMarker(folder);
        if (id is null && marker is not null)
        {
            // A marked folder is never an id-less study's (a new id cannot match its marker): refused before the id is
            // written, which a refusal left behind in the other storage. Unless another process of this storage claimed
            // it between the two reads (it sets the id, then writes the marker): two `study worker`s taking over one
            // Optuna-made study at once must both go on, so the id is read again first.
            id = await IdAsync(storage, study, ct);
            if (id is null) Require(marker, null, study, folder, storageDisplay);
        }
        if (id is null)
        {
            // Compare-and-set, then read back: of two processes claiming at once (two `study start` of a new
            // study), the first write wins for both, so neither finds the folder marked with the other's id.
            await storage.CompareAndSetStudySystemAttrAsync(study.Id, StudyAttributes.FolderId, null, NewId(), ct);
            id = await IdAsync(storage, study, ct);
        }
        if (marker is null)
        {
            Durable.WriteAllText(Path.Combine(folder, MarkerFile),
                new JsonObject { ["id"] = id, ["study"] = study.Name, ["storage"] = storageDisplay, ["folder"] = RealPath(folder) }.ToJsonString());
            return;
        }
        Require(marker, id, study, folder, storageDisplay);
        if (await RefuseCopyAsync(marker, storage, study, id!, folder, storageDisplay, ct))
            Durable.WriteAllText(Path.Combine(folder, MarkerFile),
                new JsonObject { ["id"] = id, ["study"] = study.Name, ["storage"] = storageDisplay, ["folder"] = RealPath(folder) }.ToJsonString());
    }

    /// <summary>System attribute a claim writes a fresh value into, to see whether another storage URL reaches the same database.</summary>
    private const string ProbeAttribute = "mnist_search:folder_probe";

    // A copy of a study carries its folder id: a copy of its SQLite file, or Optuna's copy_study into another storage
    // (SQLite → PostgreSQL), so the id alone let the copy write its trials and model into the original's folder while the
    // original still used it (the copy's trial 5 overwrote trials/5/model.bin of the original's trial 5). Judged when the
    // marker was written for this very folder (not carried here by a copied project: its folder is the copy's own) and
    // names another storage, this one not lying inside the folder (a study folder copied whole, its study.db inside, is
    // the copy's own): refused while that storage still holds a study with this folder id and is not this very database
    // (another URL of it: a link, another host name); else the original is gone (deleted, its file removed), and the
    // copy takes the folder over (true: the marker is rewritten to name it), as a migration expects. A marker written
    // before it recorded its folder is not judged.
    private static async Task<bool> RefuseCopyAsync(JsonObject marker, IStudyStorage storage, StudyInfo study, string id, string folder, string storageDisplay, CancellationToken ct)
    {
        if ((string?)marker["storage"] is not { } theirs || theirs == storageDisplay) return false;
        if ((string?)marker["folder"] is not { } markedFor || markedFor != RealPath(folder)) return false;
        if (SqliteFile(storageDisplay) is { } minePath && Path.GetDirectoryName(RealPath(minePath)) == RealPath(folder)) return false;
        var originalFile = SqliteFile(theirs);
        if (originalFile is not null && !File.Exists(originalFile)) return true;
        if (originalFile is not null && SqliteFile(storageDisplay) is { } mine && RealPath(originalFile) == RealPath(mine)) return false;
        var probe = NewId();
        await storage.SetStudySystemAttrAsync(study.Id, ProbeAttribute, probe, ct);
        IStudyStorage original;
        // The marker holds the storage as displayed, its password masked: left out, so that PGPASSWORD or .pgpass is used
        // (opened with "***", the same database under another host name failed its login and was refused).
        var theirsUrl = theirs.Replace(":***@", "@", StringComparison.Ordinal);
        try { original = await StorageFactory.OpenReadOnlyAsync(theirsUrl, Directory.GetCurrentDirectory(), ct); }
        catch (Exception e) when (e is not OperationCanceledException && SqliteFile(theirs) is null)
        {
            // A PostgreSQL server this process cannot log in to or reach is most often this very database under another URL
            // (another host name, an address, a role without a password here): not judged, as before such markers were,
            // and said once: through the notice the storage's own waits use (study.log while a study runs), else on stderr.
            var line = Workers.WorkerText.Sanitize(
                $"study folder {folder} was claimed through {theirs}, which cannot be read from here ({e.Message}); taken for this study's database under another URL");
            if (LockWait.Notice is { } notice) notice(line);
            else await Console.Error.WriteLineAsync("warning: " + line);
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new StudyFolderException(
                $"study folder {folder} holds the files of study '{study.Name}' in {theirs}, with the folder id of this study in {storageDisplay} " +
                $"(a copy, e.g. optuna.copy_study), and {theirs} cannot be read to tell whether it still holds that study ({e.Message}); " +
                $"give this storage its own folder (--studies-dir DIR), or, once the original is gone for good, delete {Path.Combine(folder, MarkerFile)}");
        }
        await using (original)
        {
            foreach (var other in await original.GetAllStudiesAsync(ct))
            {
                var attrs = await original.GetStudySystemAttributesAsync(other.Id, ct);
                if (!attrs.TryGetValue(StudyAttributes.FolderId, out var otherId) || JsonSerializer.Deserialize<string>(otherId) != id) continue;
                if (attrs.TryGetValue(ProbeAttribute, out var seen) && JsonSerializer.Deserialize<string>(seen) == probe) return false;
                throw new StudyFolderException(
                    $"study folder {folder} holds the files of study '{other.Name}' in {theirs}, of which study '{study.Name}' in {storageDisplay} is a copy " +
                    $"(the same folder id, e.g. optuna.copy_study); writing there would mix the two storages' trials and models: give the copy its own " +
                    $"folder (--studies-dir DIR), or, to move the study to {storageDisplay}, delete it from {theirs} (study delete) so the copy takes the folder over");
            }
        }
        return true;
    }

    // The path with every link resolved (realpath(3)); the full path when that fails (a file not there yet).
    private static string RealPath(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var resolved = RealPathNative(full, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return full;
        try { return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(resolved) ?? full; }
        finally { FreeNative(resolved); }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "free")]
    private static extern void FreeNative(IntPtr pointer);

    private static string? SqliteFile(string storageDisplay)
    {
        try
        {
            var url = StorageUrl.Parse(storageDisplay, Path.GetTempPath());
            return url.Kind == StorageKind.Sqlite ? Path.GetFullPath(url.Target) : null;
        }
        catch (FormatException) { return null; }
    }

    /// <summary>
    /// Before a study is created: throws <see cref="StudyFolderException"/> when the folder is already marked and
    /// <paramref name="storage"/> has no study of that name, so a refused start leaves no new study behind.
    /// </summary>
    public static async Task RefuseIfTakenAsync(IStudyStorage storage, string name, string folder, string storageDisplay, CancellationToken ct = default)
    {
        if (ReadMarker(folder) is { } marker && await storage.GetStudyAsync(name, ct) is null)
            Require(marker, null, new StudyInfo(0, name, StudyDirection.NOT_SET), folder, storageDisplay);
    }

    /// <summary>
    /// For commands that read the folder (export, report): throws <see cref="StudyFolderException"/> when it is
    /// marked as another study's. An unmarked folder (made before ids) is accepted as is.
    /// </summary>
    public static async Task VerifyAsync(IStudyStorage storage, StudyInfo study, string folder, string storageDisplay, CancellationToken ct = default)
    {
        if (ReadMarker(folder) is { } marker) Require(marker, await IdAsync(storage, study, ct), study, folder, storageDisplay);
    }

    /// <summary>
    /// Whether <paramref name="folder"/> may hold this study's files: marked with its id, or unmarked (made before
    /// ids). For model paths recorded in the storage, which name the place a study was run: a copy of the study
    /// elsewhere still records them, and the original place may since hold another study of the same name.
    /// </summary>
    public static async Task<bool> HoldsAsync(IStudyStorage storage, StudyInfo study, string folder, CancellationToken ct = default)
    {
        JsonObject? marker;
        try { marker = ReadMarker(folder); }
        catch (StudyFolderException) { return false; }
        return marker is null || (string?)marker["id"] == await IdAsync(storage, study, ct);
    }

    /// <summary>
    /// The folder of a study that this tool replaces or removes as a whole (<c>best/</c>, a retrain's
    /// <c>best.tmp-*</c>, <c>trials/</c>) which <paramref name="path"/> is or lies in, or null. A report or export
    /// written there was accepted, then deleted without a word by the next retrain.
    /// </summary>
    public static string? ReplacedFolderHolding(string path)
    {
        for (var dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)); Path.GetDirectoryName(dir) is { } parent; dir = parent)
        {
            var name = Path.GetFileName(dir);
            var replaced = name == BestFolder || name == TrialsFolder || name.StartsWith(BestFolder + ".tmp-", StringComparison.Ordinal);
            if (replaced && (File.Exists(Path.Combine(parent, MarkerFile)) || File.Exists(Path.Combine(parent, LogFile)))) return dir;
        }
        return null;
    }

    /// <summary>
    /// Where a trial folder recorded in the storage (the place the study ran) is in <paramref name="studyFolder"/>: a trial's
    /// folder keeps its name under trials/ wherever the study folder now is.
    /// </summary>
    public static string TrialFolderIn(string studyFolder, string recordedTrialFolder) =>
        Path.Combine(studyFolder, TrialsFolder, Path.GetFileName(Path.TrimEndingDirectorySeparator(recordedTrialFolder)));

    /// <summary>A fresh id for a new study.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N");

    private static void Require(JsonObject marker, string? id, StudyInfo study, string folder, string storageDisplay)
    {
        if (id is not null && (string?)marker["id"] == id) return;
        // The same name in the same storage: a study deleted (`study delete`, Optuna's delete_study) and begun again. It
        // read "belongs to study 'x' in S, not to study 'x' in S".
        if ((string?)marker["study"] == study.Name && (string?)marker["storage"] == storageDisplay)
            throw new StudyFolderException(
                $"study folder {folder} holds the files of an earlier study '{study.Name}' in {storageDisplay} (deleted since, or its " +
                "database replaced): move or remove that folder to start afresh under this name, or give this study another name");
        throw new StudyFolderException(
            $"study folder {folder} belongs to study '{(string?)marker["study"]}' in {(string?)marker["storage"]}, not to study '{study.Name}' in {storageDisplay}; " +
            "give this study its own folder so their checkpoints and models stay apart: `--studies-dir DIR` (study resume, worker), " +
            "or run `study start` from another folder (its studies/ are beside its configuration file), or give this study another name");
    }

    private static async Task<string?> IdAsync(IStudyStorage storage, StudyInfo study, CancellationToken ct) =>
        (await storage.GetStudySystemAttributesAsync(study.Id, ct)).TryGetValue(StudyAttributes.FolderId, out var json)
            ? JsonSerializer.Deserialize<string>(json)
            : null;

    private static JsonObject? ReadMarker(string folder)
    {
        var path = Path.Combine(folder, MarkerFile);
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not an object"); }
        catch (JsonException e) { throw new StudyFolderException($"{path}: unreadable ({e.Message}); delete it if this folder belongs to the study"); }
    }
}

/// <summary>The study folder cannot be used for this study; the command line reports it with exit code 2.</summary>
public sealed class StudyFolderException(string message) : Exception(message);
