using System.CommandLine;
using System.Text.Json.Nodes;
using Mnist.Search.Retraining;
using Mnist.Search.Storage;
using Mnist.Search.Study;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Cli.Commands;

/// <summary>
/// <c>study delete NAME</c>: removes a study and all its rows from its storage in one transaction (Optuna's
/// <c>delete_study</c>), so its name can be used again; on PostgreSQL there was no way but Optuna's own. Refused while a
/// trial of it is RUNNING or a <c>study start</c> or <c>study retrain</c> retrains its best trial (its retrain claim is live) unless
/// <c>--force</c>, which ends that process in one line. Files
/// (trial folders, checkpoints, the retrained model) are kept and named: the storage is the record, the files the user's.
/// </summary>
internal static class DeleteCommand
{
    public static Command Create()
    {
        var name = CommonOptions.StudyName();
        var storage = CommonOptions.Storage();
        var studiesDir = CommonOptions.StudiesDir();
        var force = new Option<bool>("--force") { Description = "Delete it even while a trial of it is RUNNING or it is being retrained (the process running it then ends)" };
        var format = CommonOptions.Format("table", "json");
        var command = new Command("delete", "Delete a study and its trials from its storage (Optuna's delete_study); its files are kept")
            { name, storage, studiesDir, force, format };
        command.SetAction(async (parse, ct) =>
        {
            var location = StudyLocation.For(parse.GetValue(name)!, parse.GetValue(storage), parse.GetValue(studiesDir));
            // Any Optuna study goes, multi-objective ones too: deleting neither searches nor ranks it.
            var (store, study) = await location.OpenExistingAsync(ct, anyObjectives: true);
            await using var owned = store;
            var running = await store.GetAllTrialsAsync(study.Id, [TrialState.RUNNING], ct);
            // A retrain runs with no trial RUNNING; its claim, renewed while it runs, says that a process still works on the study.
            if (!parse.GetValue(force) && await RetrainClaim.LiveHolderAsync(store, study.Id, ct) is { } retraining)
                throw new StudyBusyException(
                    $"study '{location.Name}' is being retrained in {location.StorageDisplay} ({retraining}): " +
                    "wait for it to end, or pass --force to delete it anyway (that process then ends)");
            // Named before the delete, and only when it is this study's: with --storage, studies/NAME may hold another
            // study of the same name (its own live database) that the user would be told to move or remove.
            var folder = await FilesOfAsync(location, store, study, ct);
            int? deleted;
            // Another client deleted it since it was looked up (two deletes at once): the loser says so, not a stack trace.
            try { deleted = await store.DeleteStudyAsync(study.Id, parse.GetValue(force), ct); }
            catch (RowNotFoundException)
            {
                throw new UserInputException($"unknown study '{location.Name}' in {location.StorageDisplay}: another client deleted it meanwhile");
            }
            var trials = deleted ?? throw RefusalForRunning(location, running, await store.GetHeartbeatAgesAsync(study.Id, ct));
            var result = new JsonObject
            {
                ["study"] = study.Name,
                ["storage"] = location.StorageDisplay,
                ["trials_deleted"] = trials,
                ["files_kept"] = folder,
            };
            if (parse.GetValue(format) == "json") OutputFormat.WriteObject("json", result);
            else
            {
                Console.WriteLine(ConsoleText.Line($"Deleted study '{study.Name}' and its {trials} trial(s) from {location.StorageDisplay}."));
                if (folder is not null)
                    Console.WriteLine(ConsoleText.Line($"Its files in {folder} were kept (trial folders, checkpoints, models): move or remove that folder before a new study of this name starts there."));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Why a study with RUNNING trials is not deleted. Trials left by coordinators this host sees to have ended (killed,
    /// crashed) are said as such: "a process is running it; stop it first" sent the user after a process that was gone.
    /// </summary>
    private static Exception RefusalForRunning(StudyLocation location, IReadOnlyList<TrialSnapshot> running, IReadOnlyDictionary<long, TimeSpan> heartbeatAges)
    {
        var owners = running.Select(OwnerAttributes.OwnerOf).ToList();
        var head = $"study '{location.Name}' has {running.Count} RUNNING trial(s) in {location.StorageDisplay}";
        if (owners.Count > 0 && owners.All(o => o is not null && ProcessIdentity.Current.HasCertainlyEnded(o)))
            return new UserInputException($"{head}, left by process(es) that have ended ({string.Join(", ", owners.Select(o => $"{o!.Host} pid {o.Pid}").Distinct())}): " +
                "nothing runs it; pass --force to delete it (or `study resume` marks them FAIL and runs the rest)");
        // Not heard from for longer than the heartbeat grace (a coordinator on another host that crashed, an Optuna client
        // that never told its trial): nothing will end them, so waiting is no answer. They got exit 75, "try again
        // later", and a script that retries on it looped for good.
        var grace = StudySettings.DefaultHeartbeatGrace;
        if (running.All(t => heartbeatAges.TryGetValue(t.Id, out var age) ? age > grace : t.DatetimeStart is { } start && DateTime.Now - start > grace))
            return new UserInputException($"{head}, none heard from for longer than {grace.TotalSeconds:0} s (their process is gone, or a client " +
                "that never told them): pass --force to delete it anyway");
        return new StudyBusyException($"{head}: a process is running it; stop it first, or pass --force to delete it anyway (that process then ends)");
    }

    private static async Task<string?> FilesOfAsync(StudyLocation location, IStudyStorage store, StudyInfo study, CancellationToken ct)
    {
        string dir;
        try { dir = location.StudyDirectory; }
        catch (Exception e) when (e is UserInputException or StudyFolderException) { return null; } // a stored name no folder can have
        if (!Directory.Exists(dir)) return null;
        // A folder holding its own study.db is another study's when this one lives in other storage (--storage); one
        // made by `study create` has no id marker yet, so HoldsAsync alone took it for this study's.
        var db = Path.GetFullPath(Path.Combine(dir, StudyPaths.DatabaseFile));
        if (File.Exists(db) && !StorageUrl.SameDatabase(location.StorageUrl, StorageUrl.ForSqlite(db), Directory.GetCurrentDirectory())) return null;
        return await StudyFolder.HoldsAsync(store, study, dir, ct) ? Path.GetFullPath(dir) : null;
    }
}
